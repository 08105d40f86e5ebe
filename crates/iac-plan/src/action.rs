//! The one small pure function that chooses an action and its reason.

use iac_value::Path;

use crate::{Action, Reason};

pub struct ActionInputs<'a> {
    pub has_prior: bool,
    pub prior_tainted: bool,
    /// Whether planned differs from prior at all.
    pub changed: bool,
    pub changed_paths: &'a [Path],
    /// Changed attributes that force replacement.
    pub requires_replace: &'a [Path],
    pub replace_requested: bool,
    pub triggered_by: Option<String>,
    pub create_before_destroy: bool,
}

/// Chooses create, update, replace or no-op for an instance that is in the configuration.
pub fn decide_action(i: &ActionInputs<'_>) -> (Action, Reason) {
    if !i.has_prior {
        return (Action::Create, Reason::NotInState);
    }
    let replace = |reason| {
        let a = if i.create_before_destroy {
            Action::CreateThenDelete
        } else {
            Action::DeleteThenCreate
        };
        (a, reason)
    };
    if i.prior_tainted {
        return replace(Reason::Tainted);
    }
    if i.replace_requested {
        return replace(Reason::ReplaceByRequest);
    }
    if let Some(t) = &i.triggered_by {
        return replace(Reason::ReplaceTriggeredBy(t.clone()));
    }
    if !i.requires_replace.is_empty() {
        return replace(Reason::ReplaceBecause(i.requires_replace.to_vec()));
    }
    if i.changed {
        return (
            Action::Update,
            Reason::UpdateBecause(i.changed_paths.to_vec()),
        );
    }
    (Action::NoOp, Reason::None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use iac_value::PathStep;

    fn inputs<'a>(rr: &'a [Path], changed: bool) -> ActionInputs<'a> {
        ActionInputs {
            has_prior: true,
            prior_tainted: false,
            changed,
            changed_paths: &[],
            requires_replace: rr,
            replace_requested: false,
            triggered_by: None,
            create_before_destroy: false,
        }
    }

    #[test]
    fn chooses_in_order_of_precedence() {
        let rr = vec![vec![PathStep::Key("ami".into())]];
        assert_eq!(
            decide_action(&ActionInputs {
                has_prior: false,
                ..inputs(&[], false)
            })
            .0,
            Action::Create
        );
        assert_eq!(decide_action(&inputs(&[], false)).0, Action::NoOp);
        assert_eq!(decide_action(&inputs(&[], true)).0, Action::Update);
        assert_eq!(
            decide_action(&inputs(&rr, true)),
            (Action::DeleteThenCreate, Reason::ReplaceBecause(rr.clone()))
        );
        assert_eq!(
            decide_action(&ActionInputs {
                create_before_destroy: true,
                ..inputs(&rr, true)
            })
            .0,
            Action::CreateThenDelete
        );
        assert_eq!(
            decide_action(&ActionInputs {
                prior_tainted: true,
                ..inputs(&[], false)
            })
            .1,
            Reason::Tainted
        );
        assert_eq!(
            decide_action(&ActionInputs {
                replace_requested: true,
                ..inputs(&[], false)
            })
            .1,
            Reason::ReplaceByRequest
        );
    }
}
