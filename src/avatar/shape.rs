//! The outline of an avatar: what is opaque and what is transparent.
//! Outside the shape every image, PNG or SVG, is transparent.

/// Shape of the avatar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Circle,
    /// A square with corners rounded by a radius of [`ROUNDED_RADIUS`] × the edge.
    Rounded,
    Square,
}

/// Corner radius of [`Shape::Rounded`], as a fraction of the edge.
pub const ROUNDED_RADIUS: f32 = 0.2;

impl Shape {
    /// The shape named in a URL or configuration; `None` for any other word.
    pub fn parse(s: &str) -> Option<Shape> {
        match s {
            "circle" => Some(Shape::Circle),
            "rounded" => Some(Shape::Rounded),
            "square" => Some(Shape::Square),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shape::Circle => "circle",
            Shape::Rounded => "rounded",
            Shape::Square => "square",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in [Shape::Circle, Shape::Rounded, Shape::Square] {
            assert_eq!(Shape::parse(s.name()), Some(s));
        }
        assert_eq!(Shape::parse("Circle"), None);
    }
}
