//! Formatting shared by every rendering: a figure's value with its unit, a
//! scenario's title, and XML/HTML escaping.

pub(super) fn fmt_value(v: f64, unit: &str) -> String {
    if v.abs() >= 100.0 || v == v.trunc() {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.3} {unit}")
    }
}

pub(super) fn title(name: &str) -> String {
    let mut t = name.replace('_', " ");
    if let Some(f) = t.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    t
}

/// XML text escaping, dropping characters XML 1.0 cannot carry.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
