//! Attribution from arbitrary input: a Dockerfile and an image config (split at the first 0xFF
//! byte) and one finding of every kind that attribution reads (layer files, Env, Labels, Cmd,
//! history build arguments). Must never panic, whatever the history and the instructions hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stowaway::attribution::{Origin, attribute};
use stowaway::dockerfile::Dockerfile;
use stowaway::finding::{Confidence, ImageLocation, Location};
use stowaway::{Finding, LocationKind, Severity};

fn finding(kind: LocationKind, layer: Option<usize>, field: Option<&str>, secret: &str) -> Finding {
    Finding {
        rule_id: "r".into(),
        rule_name: "R".into(),
        severity: Severity::High,
        confidence: Confidence::Medium,
        source: "img".into(),
        secret: Some(secret.into()),
        fingerprint: "f".into(),
        message: "m".into(),
        fix: "x".into(),
        location: Location::in_image(
            kind,
            "/p".into(),
            ImageLocation {
                image: "img".into(),
                platform: None,
                layer_index: layer,
                layer_digest: None,
                diff_id: None,
                status: None,
                changed_by_layer: None,
                field: field.map(str::to_owned),
                owner: None,
            },
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0xff).unwrap_or(data.len());
    let dockerfile = Dockerfile::from_bytes(&data[..split]);
    let Ok(config) = serde_json::from_slice(data.get(split + 1..).unwrap_or_default()) else {
        return;
    };
    let mut findings = vec![
        finding(LocationKind::Config, None, Some("Cmd"), "s"),
        finding(LocationKind::Config, None, Some("Entrypoint"), "s"),
        finding(LocationKind::Config, None, Some("OnBuild[0]"), "s"),
        finding(LocationKind::Config, None, Some("Labels[\"a\"]"), "s"),
    ];
    for i in 0..4 {
        findings.push(finding(LocationKind::Layer, Some(i), None, "s"));
        findings.push(finding(LocationKind::Config, None, Some(&format!("Env[{i}]")), "s"));
        let field = format!("history[{i}].created_by");
        findings.push(finding(LocationKind::Config, None, Some(&field), "v"));
    }
    for target in [None, Some("build")] {
        let origin = Origin {
            path: "Dockerfile",
            dockerfile: &dockerfile,
            target,
        };
        attribute(origin, &config, &mut findings);
    }
});
