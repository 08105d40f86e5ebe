//! The map of an object or map value, shared between copies.
//!
//! A plan copies whole objects often (the prior object into a change's `before`,
//! the planned one into its `after` and into the scope that references read), and
//! an object of a few attributes is a B-tree node of some 600 bytes with a string
//! per key. An `Object` is a reference to one shared map: a copy costs a counter
//! increment, and the map is copied only when a copy of it is changed (any `&mut`
//! access, through `DerefMut`, copies it first if it is shared). Values keep value
//! semantics: changing a copy never changes the original.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::Value;

#[derive(Clone, Default)]
pub struct Object(Arc<BTreeMap<String, Value>>);

impl Object {
    pub fn new() -> Object {
        Object::default()
    }

    /// Whether `self` and `other` are copies of one map (so equal without looking).
    pub fn same_map(&self, other: &Object) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The map itself: taken when this is the only reference, copied otherwise.
    pub fn into_inner(self) -> BTreeMap<String, Value> {
        Arc::unwrap_or_clone(self.0)
    }
}

/// Copies of one map are equal without comparing their entries (the common case
/// when a plan compares an unchanged object with its prior).
impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        self.same_map(other) || *self.0 == *other.0
    }
}

impl Deref for Object {
    type Target = BTreeMap<String, Value>;

    fn deref(&self) -> &BTreeMap<String, Value> {
        &self.0
    }
}

impl DerefMut for Object {
    fn deref_mut(&mut self) -> &mut BTreeMap<String, Value> {
        Arc::make_mut(&mut self.0)
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<BTreeMap<String, Value>> for Object {
    fn from(m: BTreeMap<String, Value>) -> Object {
        Object(Arc::new(m))
    }
}

impl From<Object> for BTreeMap<String, Value> {
    fn from(o: Object) -> BTreeMap<String, Value> {
        o.into_inner()
    }
}

impl FromIterator<(String, Value)> for Object {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Object {
        Object(Arc::new(iter.into_iter().collect()))
    }
}

impl Extend<(String, Value)> for Object {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        self.deref_mut().extend(iter)
    }
}

impl IntoIterator for Object {
    type Item = (String, Value);
    type IntoIter = std::collections::btree_map::IntoIter<String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_inner().into_iter()
    }
}

impl<'a> IntoIterator for &'a Object {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a mut Object {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = std::collections::btree_map::IterMut<'a, String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.deref_mut().iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_copy_leaves_the_original_as_it_was() {
        let a: Object = [("k".to_string(), Value::string("v"))]
            .into_iter()
            .collect();
        let mut b = a.clone();
        assert!(Arc::ptr_eq(&a.0, &b.0), "a copy shares the map");
        b.insert("k".into(), Value::string("w"));
        assert_eq!(a.get("k"), Some(&Value::string("v")));
        assert_eq!(b.get("k"), Some(&Value::string("w")));
        assert!(!Arc::ptr_eq(&a.0, &b.0));
        // The only reference is changed where it is.
        let before = Arc::as_ptr(&b.0);
        b.insert("x".into(), Value::Null);
        assert_eq!(Arc::as_ptr(&b.0), before);
        assert_eq!(b.clone().into_inner().len(), 2);
    }
}
