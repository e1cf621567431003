//! GitLab's secret-detection report (`artifacts:reports:secret_detection`), schema 15.x: a `scan`
//! object (analyzer and scanner `stowaway`, type `secret_detection`, start and end times, status
//! `failure` when any part of the input could not be scanned, errors as messages) and one
//! vulnerability per finding with a place-unique id, GitLab's severity names, the rule as
//! identifier, the fix as solution, and a location. GitLab links `location.file` to the
//! repository, so image findings attributed with `--dockerfile` point at the Dockerfile line;
//! others name the image and path. The schema requires a commit; `CI_COMMIT_SHA` is used when the
//! caller passes it, else GitLab's placeholder for scans outside history (`0000000`).

use std::io::{self, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Report;
use crate::finding::{Finding, LocationKind, Severity};

/// The schema version the document declares.
pub const SCHEMA_VERSION: &str = "15.0.7";

/// Writes the report; `commit` is the scanned revision, if known.
pub fn render(report: &Report, commit: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let tool = json!({
        "id": "stowaway",
        "name": "stowaway",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": { "name": "stowaway" },
    });
    let messages: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({ "level": "warn", "value": e.to_string() }))
        .collect();
    let (start, end) = report.timing.unwrap_or((0, 0));
    let commit = commit.filter(|c| !c.is_empty()).unwrap_or("0000000");
    let vulnerabilities: Vec<Value> = report
        .findings
        .iter()
        .map(|f| vulnerability(f, commit))
        .collect();
    let document = json!({
        "version": SCHEMA_VERSION,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "secret_detection",
            "start_time": timestamp(start),
            "end_time": timestamp(end),
            "status": if report.errors.is_empty() { "success" } else { "failure" },
            "messages": messages,
        },
        "vulnerabilities": vulnerabilities,
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn vulnerability(finding: &Finding, commit: &str) -> Value {
    let location = &finding.location;
    let (file, line) = match (location.kind, &location.dockerfile) {
        (LocationKind::Dockerfile, _) => (location.path.clone(), location.line),
        (LocationKind::Context, _) => (location.path.clone(), None),
        (_, Some(dockerfile)) => (dockerfile.clone(), location.instruction_line),
        (_, None) => (finding.place(), None),
    };
    let mut place = json!({ "file": file, "commit": { "sha": commit } });
    if let Some(line) = line {
        place["start_line"] = json!(line);
        place["end_line"] = json!(line);
    }
    let secret = finding
        .secret
        .as_deref()
        .map_or(String::new(), |s| format!(" ({s})"));
    json!({
        "id": id(finding),
        "name": finding.rule_name,
        "description": format!("{}{secret}. Found at {}.", finding.message, finding.place()),
        "severity": severity(finding.severity),
        "solution": finding.fix,
        "identifiers": [{
            "type": "stowaway_rule_id",
            "name": format!("stowaway rule {}", finding.rule_id),
            "value": finding.rule_id,
        }],
        "location": place,
    })
}

/// A UUID-shaped id, unique per secret and place (fingerprints name the secret only).
fn id(finding: &Finding) -> String {
    let digest = Sha256::digest(format!("{}\0{}", finding.fingerprint, finding.place()));
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of a Unix time, as the schema's pattern wants.
pub fn timestamp(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let seconds = unix % 86_400;
    // Howard Hinnant's civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00");
        assert_eq!(timestamp(951_782_400 + 3_723), "2000-02-29T01:02:03");
        assert_eq!(timestamp(1_798_675_200), "2026-12-31T00:00:00");
    }
}
