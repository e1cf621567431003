//! SARIF 2.1.0 as GitHub code scanning reads it: every rule in the driver (with
//! `security-severity` so GitHub ranks alerts), one result per finding with a region, and
//! `partialFingerprints` so alerts survive line moves. Context findings point at the `COPY`
//! line of the Dockerfile and name the context file as a related location; image findings
//! attributed with `--dockerfile` point at the instruction that made them.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::Report;
use crate::finding::{Finding, LocationKind, Severity};
use crate::rules::RuleSet;

/// Writes the SARIF log.
pub fn render(report: &Report, rules: &RuleSet, out: &mut dyn Write) -> io::Result<()> {
    let driver_rules: Vec<Value> = rules.rules().iter().map(rule).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, rules.rules().iter().position(|r| r.id == f.rule_id)))
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({ "level": "error", "message": { "text": e.to_string() } }))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "stowaway",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/stowaway-scanner/stowaway",
                "rules": driver_rules,
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn rule(rule: &crate::rules::Rule) -> Value {
    json!({
        "id": rule.id,
        "name": pascal_case(&rule.id),
        "shortDescription": { "text": rule.name },
        "fullDescription": { "text": rule.description },
        "help": {
            "text": rule.remediation,
            "markdown": format!("**{}**\n\n{}\n\n**Fix:** {}", rule.name, rule.description, rule.remediation),
        },
        "helpUri": rule.references.first(),
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": {
            "tags": ["security", "secret"],
            "security-severity": security_severity(rule.severity),
        },
    })
}

fn result(finding: &Finding, rule_index: Option<usize>) -> Value {
    let location = &finding.location;
    // Image findings have no text file to point at: attributed ones (`--dockerfile`) point at
    // the instruction that made them, others at the image (line 1); both name the layer file or
    // config field as a logical location.
    let (uri, line, column) = match (location.kind, &location.dockerfile) {
        (LocationKind::Context, _) => (finding.source.as_str(), location.instruction_line, None),
        (LocationKind::Dockerfile, _) => (location.path.as_str(), location.line, location.column),
        (LocationKind::Layer | LocationKind::Config, Some(dockerfile)) => {
            (dockerfile.as_str(), location.instruction_line, None)
        }
        (LocationKind::Layer | LocationKind::Config, None) => (finding.source.as_str(), None, None),
    };
    let mut region = json!({ "startLine": line.unwrap_or(1) });
    if let Some(column) = column {
        region["startColumn"] = json!(column);
    }
    let mut value = json!({
        "ruleId": finding.rule_id,
        "level": level(finding.severity),
        "message": { "text": message(finding) },
        "locations": [{ "physicalLocation": {
            "artifactLocation": { "uri": uri_of(uri) },
            "region": region,
        }}],
        "partialFingerprints": { "stowaway/v1": finding.fingerprint },
        "properties": {
            "severity": finding.severity.as_str(),
            "security-severity": security_severity(finding.severity),
            "stage": location.stage,
            "inFinalImage": location.in_final_image,
        },
    });
    if let Some(index) = rule_index {
        value["ruleIndex"] = json!(index);
    }
    if let Some(image) = &location.image {
        let name = match (&image.field, image.layer_index) {
            (Some(field), _) => format!("{}/config/{field}", image.image),
            (None, Some(layer)) => format!("{}/layer/{layer}/{}", image.image, location.path),
            (None, None) => image.image.clone(),
        };
        value["locations"][0]["logicalLocations"] = json!([{ "fullyQualifiedName": name }]);
    }
    if location.kind == LocationKind::Context {
        value["relatedLocations"] = json!([{
            "id": 1,
            "physicalLocation": { "artifactLocation": { "uri": uri_of(&location.path) } },
            "message": { "text": "the secret file in the build context" },
        }]);
    }
    value
}

fn message(finding: &Finding) -> String {
    match &finding.secret {
        Some(secret) => format!("{} ({}: {})", finding.message, finding.rule_name, secret),
        None => format!("{} ({})", finding.message, finding.rule_name),
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's numeric scale: ≥9 critical, ≥7 high, ≥4 medium, >0 low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn pascal_case(id: &str) -> String {
    id.split(['.', '-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// A URI reference for a path: relative paths stay relative (`./` dropped), absolute ones become
/// `file://` URIs; anything outside RFC 3986's unreserved set and `/` is percent-encoded.
pub fn uri_of(path: &str) -> String {
    let path = path.replace('\\', "/");
    let (prefix, rest) = match path.strip_prefix('/') {
        Some(rest) => ("file:///", rest),
        None => ("", path.trim_start_matches("./")),
    };
    let mut out = String::from(prefix);
    for byte in rest.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(uri_of("./a b/Dockerfile"), "a%20b/Dockerfile");
        assert_eq!(uri_of("/src/Dockerfile"), "file:///src/Dockerfile");
        assert_eq!(
            pascal_case("github.fine-grained-pat"),
            "GithubFineGrainedPat"
        );
    }
}
