//! Civil time in UTC, in every form the harness writes: API Gateway's
//! access-log time (CLF), the date in Lambda log stream names, run ids and
//! RFC 3339 stamps. One module, formatted from epoch seconds with the
//! `time` crate; nothing is formatted and then parsed back.

use time::macros::format_description;
use time::OffsetDateTime;

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The instant `secs` after the epoch (the epoch itself when out of range).
fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn format(secs: i64, description: &[time::format_description::BorrowedFormatItem<'_>]) -> String {
    at(secs).format(description).unwrap_or_default()
}

/// `dd/Mon/yyyy:HH:MM:SS +0000`, API Gateway's `$context.requestTime`.
pub fn clf_time(secs: i64) -> String {
    format(
        secs,
        format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"),
    )
}

/// `YYYY/MM/DD`, the date in Lambda's log stream names.
pub fn utc_date(secs: i64) -> String {
    format(secs, format_description!("[year]/[month]/[day]"))
}

/// A run id (`YYYYMMDDTHHMMSSZ`) and the same instant in RFC 3339.
pub fn utc_stamp(secs: i64) -> (String, String) {
    (
        format(
            secs,
            format_description!("[year][month][day]T[hour][minute][second]Z"),
        ),
        format(
            secs,
            format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_one_instant() {
        assert_eq!(clf_time(1_756_879_458), "03/Sep/2025:06:04:18 +0000");
        assert_eq!(clf_time(0), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(clf_time(951_782_400), "29/Feb/2000:00:00:00 +0000");
        assert_eq!(utc_date(1_756_879_458), "2025/09/03");
        assert_eq!(
            utc_stamp(1_756_879_458),
            ("20250903T060418Z".into(), "2025-09-03T06:04:18Z".into())
        );
    }
}
