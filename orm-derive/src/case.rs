//! Renaming rules for `rename_all` and the default table name.

/// A `rename_all` rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenameRule {
    Snake,
    Pascal,
    Camel,
    ScreamingSnake,
}

impl RenameRule {
    pub(crate) const NAMES: &'static str = "\"snake_case\", \"PascalCase\", \"camelCase\" or \"SCREAMING_SNAKE_CASE\"";

    pub(crate) fn from_str(s: &str) -> Option<Self> {
        Some(match s {
            "snake_case" => RenameRule::Snake,
            "PascalCase" => RenameRule::Pascal,
            "camelCase" => RenameRule::Camel,
            "SCREAMING_SNAKE_CASE" => RenameRule::ScreamingSnake,
            _ => return None,
        })
    }

    /// Applies the rule to a snake_case field name.
    pub(crate) fn apply(self, field: &str) -> String {
        match self {
            RenameRule::Snake => field.to_owned(),
            RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Pascal | RenameRule::Camel => {
                let mut out = String::with_capacity(field.len());
                let mut upper = self == RenameRule::Pascal;
                for c in field.chars() {
                    if c == '_' {
                        upper = true;
                    } else if upper {
                        out.extend(c.to_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

/// `UserProfile` -> `user_profile`.
pub(crate) fn to_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_uppercase())) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames() {
        assert_eq!(RenameRule::Pascal.apply("artist_id"), "ArtistId");
        assert_eq!(RenameRule::Camel.apply("artist_id"), "artistId");
        assert_eq!(RenameRule::ScreamingSnake.apply("artist_id"), "ARTIST_ID");
        assert_eq!(to_snake("UserProfile"), "user_profile");
        assert_eq!(to_snake("HTTPLog"), "http_log");
        assert_eq!(to_snake("User"), "user");
    }
}
