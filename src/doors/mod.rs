//! The URL doors: monogram's own `/avatar/` URLs and ui-avatars' API, each
//! parsed into one avatar request, and the signatures that may guard them.
//! A door is a [`Door`] (its prefix, parser and `Vary`) and a row of
//! [`DOORS`].

pub(crate) mod door;
pub(crate) mod request;
pub(crate) mod signing;
pub(crate) mod ui_avatars;

use crate::config::Config;
use crate::doors::door::Door;

/// Every door, in the order a path is matched against their prefixes.
pub(crate) const DOORS: &[Door] = &[crate::doors::request::DOOR, crate::doors::ui_avatars::DOOR];

/// The door of `path` (with or without a query): the one whose prefix it
/// starts with; `None` for a path under no door's prefix.
pub(crate) fn door_of(config: &Config, path: &str) -> Option<&'static Door> {
    DOORS
        .iter()
        .find(|door| (door.prefix)(config).is_some_and(|p| path.starts_with(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix_of(c: &Config, path: &str) -> Option<String> {
        door_of(c, path)
            .and_then(|d| (d.prefix)(c))
            .map(str::to_string)
    }

    #[test]
    fn a_path_finds_the_door_of_its_prefix() {
        let c = Config::default();
        assert_eq!(prefix_of(&c, "/avatar/x?y").as_deref(), Some("/avatar/"));
        assert_eq!(prefix_of(&c, "/avatars/x"), None);
        assert_eq!(prefix_of(&c, "/"), None);
        assert_eq!(prefix_of(&c, "/api/?name=x"), None, "off unless configured");
        let c = Config::from_json(br#"{"ui_avatars_prefix":"/api/"}"#).unwrap();
        assert_eq!(prefix_of(&c, "/api/?name=x").as_deref(), Some("/api/"));
        assert_eq!(prefix_of(&c, "/avatar/x").as_deref(), Some("/avatar/"));
        assert_eq!(prefix_of(&c, "/apix"), None);
    }
}
