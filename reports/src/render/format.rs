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

/// The shard table's header and one row per shard (a merged report's
/// shards, or a worker's own), for both renderings.
pub(super) const SHARD_HEADER: [&str; 7] = [
    "shard",
    "planned",
    "sent",
    "achieved",
    "send lag p99",
    "late start",
    "clock",
];

pub(super) fn shard_rows(l: &crate::load::LoadReport) -> Vec<[String; 7]> {
    let tags: Vec<&crate::load::ShardTag> = if l.shards.is_empty() {
        l.shard.iter().collect()
    } else {
        l.shards.iter().collect()
    };
    tags.into_iter()
        .map(|t| {
            [
                t.label(),
                t.planned.to_string(),
                (t.planned - t.unsent.min(t.planned)).to_string(),
                format!("{:.1} of {:.1} req/s", t.achieved_rps, t.planned_rps),
                format!("{:.2} ms", crate::hist::ms_at(&t.send_lag, 99.0)),
                format!("{:.0} ms", t.late_start_ms),
                t.clock.clone(),
            ]
        })
        .collect()
}
