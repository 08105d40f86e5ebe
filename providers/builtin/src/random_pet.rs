//! `random_pet`: a random name such as `bold-otter`.

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::{PathStep, Value};
use rand::Rng;

use crate::util::{keepers, num_attr, set};

pub struct RandomPet;

const ADJECTIVES: &[&str] = &[
    "able", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "daring", "eager",
    "fair", "fancy", "gentle", "glad", "golden", "happy", "humble", "jolly", "keen", "kind",
    "lively", "lucky", "merry", "mighty", "noble", "patient", "polite", "proud", "quick", "quiet",
    "rapid", "ready", "sharp", "shy", "smart", "steady", "sunny", "swift", "tidy", "upbeat",
    "vast", "vivid", "warm", "wise", "witty", "young", "zesty",
];
const NOUNS: &[&str] = &[
    "badger", "bat", "bear", "beaver", "bee", "bison", "camel", "cat", "cobra", "crane", "crow",
    "deer", "dingo", "dog", "dove", "eagle", "eel", "elk", "falcon", "ferret", "finch", "fox",
    "frog", "gecko", "goat", "goose", "hare", "hawk", "heron", "ibis", "jay", "koala", "lark",
    "lemur", "lion", "llama", "lynx", "mole", "moose", "mule", "newt", "otter", "owl", "panda",
    "pony", "quail", "raven", "seal", "shark", "sloth", "swan", "tiger", "toad", "trout", "viper",
    "wasp", "whale", "wolf", "wren", "yak", "zebra",
];

#[async_trait::async_trait]
impl ResourceType<()> for RandomPet {
    fn schema(&self) -> Schema {
        Schema::new("A random pet name such as `bold-otter`.")
            .attr(
                "id",
                Attribute::computed(AttrType::String, "The generated name."),
            )
            .attr("keepers", keepers())
            .attr(
                "length",
                Attribute::optional(AttrType::Number, "Number of words (default 2).").force_new(),
            )
            .attr(
                "prefix",
                Attribute::optional(AttrType::String, "A prefix word.").force_new(),
            )
            .attr(
                "separator",
                Attribute::optional(AttrType::String, "Word separator (default `-`).").force_new(),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        match config.get_attr("length").as_f64() {
            Some(n) if !(1.0..=16.0).contains(&n) => vec![AttrDiagnostic::error(
                vec![PathStep::Key("length".into())],
                "Invalid length",
                "must be from 1 to 16 words",
            )],
            _ => Vec::new(),
        }
    }

    fn has_remote_objects(&self) -> bool {
        false
    }

    async fn create(&self, _: &(), planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let mut rng = rand::thread_rng();
        let n = num_attr(planned, "length", 2.0) as usize;
        let sep = planned
            .get_attr("separator")
            .as_str()
            .unwrap_or("-")
            .to_string();
        let mut words: Vec<String> = Vec::new();
        if let Some(p) = planned.get_attr("prefix").as_str() {
            words.push(p.to_string());
        }
        for i in 0..n {
            let list = if i + 1 == n { NOUNS } else { ADJECTIVES };
            words.push(list[rng.gen_range(0..list.len())].to_string());
        }
        let mut new = planned.clone();
        set(&mut new, "id", Value::String(words.join(&sep)));
        Ok(Some(new))
    }
}
