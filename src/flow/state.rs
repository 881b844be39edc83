//! What one VM keeps between requests under one configuration: the cache
//! of encoded avatars and the render budget. The glue makes a new one for
//! every configuration, so nothing made under an older configuration is
//! ever served or charged under a newer one.

use crate::config::Config;
use crate::flow::budget::Budget;
use crate::flow::cache::Cache;

pub struct State {
    pub cache: Cache,
    pub budget: Budget,
}

impl State {
    /// An empty cache and a full budget, sized by `config`.
    pub fn new(config: &Config) -> State {
        State {
            cache: Cache::new(config.cache_bytes),
            budget: Budget::new(config.render_budget_ms_per_s, config.render_burst_ms),
        }
    }
}
