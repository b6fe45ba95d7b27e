//! Text rules for Block Kit messages (docs/slack.md "Escaping and text", "Dates in messages"):
//! escaping for mrkdwn, cutting text to a limit without splitting a character or an escape,
//! mentions, links and `<!date>` tokens with a plain UTC fallback.
//!
//! Lengths are counted in UTF-16 code units, never fewer than characters: whichever way Slack
//! counts a limit, text cut here is within it.

use jiff::Timestamp;

use crate::ids::UserId;

/// What a cut text ends with.
const ELLIPSIS: char = '…';

/// `&`, `<` and `>` as `&amp;`, `&lt;`, `&gt;`, and nothing else (docs/slack.md "Escaping and
/// text"): a lead named `<!channel>` is shown, never a ping.
pub(crate) fn escape(text: &str) -> String {
    escape_clipped(text, usize::MAX)
}

/// [`escape`], cut to at most `max` units with an ellipsis: the cut falls between whole
/// characters and never inside an escape such as `&amp;`.
pub(crate) fn escape_clipped(text: &str, max: usize) -> String {
    clip_pieces(text.chars().map(escaped_piece), max)
}

/// Plain text (a `plain_text` object, an option's text), cut to at most `max` units.
pub(crate) fn clip(text: &str, max: usize) -> String {
    clip_pieces(text.chars().map(|c| Piece::Owned(c.to_string())), max)
}

enum Piece {
    Static(&'static str),
    Owned(String),
}

impl Piece {
    fn as_str(&self) -> &str {
        match self {
            Self::Static(s) => s,
            Self::Owned(s) => s,
        }
    }
}

fn escaped_piece(c: char) -> Piece {
    match c {
        '&' => Piece::Static("&amp;"),
        '<' => Piece::Static("&lt;"),
        '>' => Piece::Static("&gt;"),
        c => Piece::Owned(c.to_string()),
    }
}

pub(crate) fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Appends whole pieces while they fit; when one does not, backs off until the ellipsis fits.
fn clip_pieces(pieces: impl Iterator<Item = Piece>, max: usize) -> String {
    let mut out = String::new();
    let mut used = 0usize;
    // (byte length, units) of `out` after each piece, to back off whole pieces.
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for piece in pieces {
        let p = piece.as_str();
        let n = units(p);
        if used.saturating_add(n) > max {
            let room = max.saturating_sub(ELLIPSIS.len_utf16());
            while used > room {
                marks.pop();
                let (len, u) = marks.last().copied().unwrap_or((0, 0));
                out.truncate(len);
                used = u;
            }
            if max >= ELLIPSIS.len_utf16() {
                out.push(ELLIPSIS);
            }
            return out;
        }
        out.push_str(p);
        used += n;
        marks.push((out.len(), used));
    }
    out
}

/// `<@U…>`: a mention that notifies the user.
pub(crate) fn mention(user: &UserId) -> String {
    format!("<@{user}>")
}

/// The longest link target handoff writes; a longer one (never a HubSpot record's) is left out
/// rather than cut into a wrong link.
const LINK_MAX: usize = 1000;

/// A mrkdwn link `<url|label>`, the label escaped. A URL that is not `http(s)://`, or longer
/// than [`LINK_MAX`], is left out (the label alone is shown); `|`, `<`, `>` and spaces in it are
/// percent-encoded and `&` escaped, so the URL cannot end the link early.
pub(crate) fn link(url: &str, label: &str) -> String {
    let label = escape(label);
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return label;
    }
    let mut href = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '|' => href.push_str("%7C"),
            '<' => href.push_str("%3C"),
            '>' => href.push_str("%3E"),
            ' ' => href.push_str("%20"),
            '&' => href.push_str("&amp;"),
            c if c.is_control() => {}
            c => href.push(c),
        }
    }
    if units(&href) > LINK_MAX {
        return label;
    }
    format!("<{href}|{label}>")
}

/// A plain UTC time for fallbacks and the top-level `text`: `Tue Nov 24 2026 15:00 UTC`.
pub(crate) fn utc(at: Timestamp) -> String {
    at.strftime("%a %b %d %Y %H:%M UTC").to_string()
}

/// `<!date^…^{date_short_pretty} at {time}|<utc>>`: the reader's own time zone in Slack, the
/// UTC time where the token is not rendered (docs/slack.md "Dates in messages").
pub(crate) fn date(at: Timestamp) -> String {
    format!(
        "<!date^{}^{{date_short_pretty}} at {{time}}|{}>",
        at.as_second(),
        utc(at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_touches_only_ampersand_and_angle_brackets() {
        assert_eq!(
            escape("Smith & Sons <!channel> *bold* _x_ \"q\" 'a'"),
            "Smith &amp; Sons &lt;!channel&gt; *bold* _x_ \"q\" 'a'"
        );
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn cutting_keeps_whole_characters_and_whole_escapes() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("exactly10!", 10), "exactly10!");
        assert_eq!(clip("eleven char", 10), "eleven ch…");
        // "é" is one unit, "😀" two: the cut never splits either.
        assert_eq!(clip("ééééé", 3), "éé…");
        assert_eq!(clip("a😀😀", 4), "a😀…");
        assert_eq!(clip("a😀😀", 3), "a…");
        // `&amp;` is five units and is kept whole or dropped whole.
        assert_eq!(escape_clipped("a&b", 5), "a…");
        assert_eq!(escape_clipped("a&b", 7), "a&amp;b");
        assert_eq!(escape_clipped("a&bc", 7), "a&amp;…");
        assert_eq!(clip("anything", 0), "");
    }

    #[test]
    fn any_text_cut_to_a_limit_is_within_it() {
        let samples = ["", "x", "&<>&<>", "naïve café 😀 日本語", &"&".repeat(100)];
        for s in samples {
            for max in 0..40 {
                assert!(units(&clip(s, max)) <= max, "{s:?} {max}");
                let e = escape_clipped(s, max);
                assert!(units(&e) <= max, "{s:?} {max}: {e:?}");
                assert!(!e.contains('<') && !e.contains('>'), "{e:?}");
            }
        }
    }

    #[test]
    fn links_cannot_be_broken_out_of() {
        assert_eq!(
            link(
                "https://app.hubspot.com/contacts/1/record/0-1/2?a=1&b=2",
                "Jane <Doe>"
            ),
            "<https://app.hubspot.com/contacts/1/record/0-1/2?a=1&amp;b=2|Jane &lt;Doe&gt;>"
        );
        assert_eq!(
            link("https://x.test/a|b>c d", "L"),
            "<https://x.test/a%7Cb%3Ec%20d|L>"
        );
        assert_eq!(link("javascript:alert(1)", "L"), "L");
        let long = format!("https://x.test/{}", "a".repeat(LINK_MAX));
        assert_eq!(link(&long, "L"), "L");
    }

    #[test]
    fn a_date_renders_in_the_readers_zone_with_a_utc_fallback() {
        let at: Timestamp = "2026-11-24T15:00:00Z".parse().unwrap();
        assert_eq!(at.as_second(), 1_795_532_400);
        assert_eq!(utc(at), "Tue Nov 24 2026 15:00 UTC");
        assert_eq!(
            date(at),
            "<!date^1795532400^{date_short_pretty} at {time}|Tue Nov 24 2026 15:00 UTC>"
        );
    }

    #[test]
    fn a_mention_is_the_user_id_in_angle_brackets() {
        assert_eq!(
            mention(&UserId::parse("U2CERLKJA").unwrap()),
            "<@U2CERLKJA>"
        );
    }
}
