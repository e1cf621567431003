//! Attribution: which Dockerfile instruction made each image finding. The image config's
//! `history` lists one entry per instruction that built the image (the base image's entries
//! first); the instructions of the stages that reach the final image are aligned with the tail
//! of that history (an alignment that keeps order, scoring same keyword and same command or
//! destination above same keyword alone), then a layer finding takes the instruction of its
//! layer's history entry, and a config finding the instruction that set its field: the last
//! `ENV` of an `Env` name, `LABEL` of a label key, `CMD`/`ENTRYPOINT`, the `ARG` that declared a
//! recorded build argument. Findings the Dockerfile did not make (the base image's) stay as
//! they are.

use serde_json::Value;

use crate::dockerfile::instruction::{Args, Command, Instruction};
use crate::dockerfile::{Dockerfile, Stages};
use crate::finding::{Finding, LocationKind};
use crate::image::config::{build_args, clean_created_by};

/// Most alignment cells (history entries × instructions) computed; beyond, the oldest
/// instructions are left out.
const MAX_CELLS: usize = 4_000_000;

/// A Dockerfile to attribute image findings to.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The Dockerfile's path as given (what reports point at).
    pub path: &'a str,
    /// The parsed file.
    pub dockerfile: &'a Dockerfile,
    /// The stage built (`--target`).
    pub target: Option<&'a str>,
}

/// One instruction of the final image's chain.
struct Step<'a> {
    instruction: &'a Instruction,
    stage: String,
    keyword: String,
    detail: String,
}

/// Points each image finding in `findings` (all of one image, whose config is `config`) at
/// the Dockerfile instruction that made it, when one did.
pub fn attribute(origin: Origin<'_>, config: &Value, findings: &mut [Finding]) {
    let df = origin.dockerfile;
    let stages = Stages::new(df, origin.target);
    let steps: Vec<Step<'_>> = stages
        .stages
        .iter()
        .filter(|s| s.in_final_image)
        .flat_map(|s| s.body.clone().map(move |i| (s, i)))
        .filter_map(|(stage, i)| {
            let instruction = df.instructions.get(i)?;
            let (keyword, detail) = instruction_signature(instruction);
            Some(Step {
                instruction,
                stage: stage.label(),
                keyword,
                detail,
            })
        })
        .collect();
    let history: Vec<&Value> = config
        .get("history")
        .and_then(Value::as_array)
        .map(|h| h.iter().collect())
        .unwrap_or_default();
    let created_by: Vec<&str> = history
        .iter()
        .map(|h| h.get("created_by").and_then(Value::as_str).unwrap_or(""))
        .collect();
    let aligned = align(&created_by, &steps);
    let layer_history: Vec<usize> = history
        .iter()
        .enumerate()
        .filter(|(_, h)| h.get("empty_layer").and_then(Value::as_bool) != Some(true))
        .map(|(i, _)| i)
        .collect();
    let inner = config
        .get("config")
        .or_else(|| config.get("container_config"));
    for finding in findings.iter_mut() {
        let Some(image) = &finding.location.image else {
            continue;
        };
        let step = match (finding.location.kind, &image.field) {
            (LocationKind::Layer, _) => image
                .layer_index
                .and_then(|l| layer_history.get(l))
                .and_then(|&h| aligned[h]),
            (LocationKind::Config, Some(field)) => config_step(
                field,
                finding.secret.as_deref(),
                inner,
                &created_by,
                &aligned,
                &steps,
            ),
            _ => None,
        };
        if let Some(step) = step.and_then(|s| steps.get(s)) {
            let location = &mut finding.location;
            location.dockerfile = Some(origin.path.to_owned());
            location.instruction_line = Some(df.position(step.instruction.offset).line);
            location.stage = Some(step.stage.clone());
            location.in_final_image = Some(true);
        }
    }
}

/// The step that set a config field.
fn config_step(
    field: &str,
    secret: Option<&str>,
    inner: Option<&Value>,
    created_by: &[&str],
    aligned: &[Option<usize>],
    steps: &[Step<'_>],
) -> Option<usize> {
    let last = |keyword: &str, key: Option<&str>| {
        steps
            .iter()
            .rposition(|s| s.keyword == keyword && key.is_none_or(|k| sets(s.instruction, k)))
    };
    if let Some(rest) = field.strip_prefix("history[") {
        let index: usize = rest.split(']').next()?.parse().ok()?;
        let run = (*aligned.get(index)?)?;
        // a recorded build argument was declared by an ARG before the instruction that used it
        let name = build_args(created_by.get(index)?)
            .into_iter()
            .find(|(_, v)| Some(*v) == secret)
            .map(|(k, _)| k);
        let declared = name.and_then(|name| {
            steps[..=run]
                .iter()
                .rposition(|s| s.keyword == "ARG" && sets(s.instruction, name))
        });
        return declared.or(Some(run));
    }
    if let Some(rest) = field.strip_prefix("Env[") {
        let index: usize = rest.split(']').next()?.parse().ok()?;
        let entry = inner?.get("Env")?.get(index)?.as_str()?;
        let name = entry.split_once('=').map_or(entry, |(k, _)| k);
        return last("ENV", Some(name));
    }
    if field.starts_with("Labels[") {
        let labels = inner?.get("Labels")?.as_object()?;
        let key = labels.keys().find(|k| format!("Labels[{k:?}]") == field)?;
        return last("LABEL", Some(key));
    }
    // a build argument recorded in provenance or BuildKit 0.10's build info: its `ARG`
    if let Some(name) = field.split("[\"build-arg:").nth(1) {
        return last("ARG", Some(name.split('"').next()?));
    }
    match field {
        "Healthcheck" => last("HEALTHCHECK", None),
        "Cmd" => last("CMD", None),
        "Entrypoint" => last("ENTRYPOINT", None),
        _ if field.starts_with("OnBuild[") => last("ONBUILD", None),
        _ => None,
    }
}

/// True when an `ENV`/`ARG`/`LABEL` instruction sets `key`.
fn sets(instruction: &Instruction, key: &str) -> bool {
    match &instruction.args {
        Args::KeyValues(pairs) => pairs.iter().any(|p| p.key.value == key),
        _ => false,
    }
}

/// `(KEYWORD, detail)` of a Dockerfile instruction, in the terms of [`history_signature`].
fn instruction_signature(instruction: &Instruction) -> (String, String) {
    let keyword = instruction.keyword.to_ascii_uppercase();
    let detail = match &instruction.args {
        Args::Command(Command::Shell(text)) => squash(text),
        Args::Paths { dest, .. } => destination(&dest.value),
        _ => {
            let text = instruction.text.text.trim();
            squash(text.get(instruction.keyword.len()..).unwrap_or(""))
        }
    };
    (keyword, detail)
}

/// `(KEYWORD, detail)` of a history entry: RUN's command, COPY/ADD's destination, or the rest
/// of the instruction, whitespace squashed.
fn history_signature(created_by: &str) -> (String, String) {
    let clean = clean_created_by(created_by);
    if let Some(command) = clean.strip_prefix("RUN ") {
        return ("RUN".to_owned(), squash(command));
    }
    // `RUN --mount=… /bin/sh -c make` keeps its flags in BuildKit's history
    if let Some((_, command)) = clean.split_once(" /bin/sh -c ") {
        return ("RUN".to_owned(), squash(command));
    }
    let (keyword, rest) = clean.split_once(' ').unwrap_or((&clean, ""));
    let keyword = keyword.to_ascii_uppercase();
    let detail = match keyword.as_str() {
        "COPY" | "ADD" => destination(rest.split_whitespace().last().unwrap_or("")),
        _ => squash(rest),
    };
    (keyword, detail)
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn destination(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { path } else { trimmed }.to_owned()
}

/// For each history entry, the step it came from: an order-keeping alignment of the steps with
/// the history that maximises the score (3 for keyword and detail, 1 for keyword alone), ties
/// going to the latest entries (the base image's history comes first).
fn align(created_by: &[&str], steps: &[Step<'_>]) -> Vec<Option<usize>> {
    let n = created_by.len();
    let mut out = vec![None; n];
    if n == 0 || steps.is_empty() {
        return out;
    }
    let keep = (MAX_CELLS / n).max(1).min(steps.len());
    let first = steps.len() - keep;
    let steps = &steps[first..];
    let m = steps.len();
    let signatures: Vec<(String, String)> =
        created_by.iter().map(|c| history_signature(c)).collect();
    let score = |i: usize, j: usize| -> u32 {
        let (keyword, detail) = &signatures[i];
        let step = &steps[j];
        match (keyword == &step.keyword, detail == &step.detail) {
            (true, true) => 3,
            (true, false) => 1,
            _ => 0,
        }
    };
    // best[i][j]: best score aligning history[..i] with steps[..j]
    let width = m + 1;
    let mut best = vec![0u32; (n + 1) * width];
    for i in 1..=n {
        for j in 1..=m {
            let s = score(i - 1, j - 1);
            let diagonal = if s > 0 {
                best[(i - 1) * width + j - 1] + s
            } else {
                0
            };
            best[i * width + j] = diagonal
                .max(best[(i - 1) * width + j])
                .max(best[i * width + j - 1]);
        }
    }
    let (mut i, mut j) = (n, m);
    let mut strong = 0;
    while i > 0 && j > 0 {
        let here = best[i * width + j];
        let s = score(i - 1, j - 1);
        if s > 0 && here == best[(i - 1) * width + j - 1] + s {
            out[i - 1] = Some(first + j - 1);
            strong += usize::from(s == 3);
            i -= 1;
            j -= 1;
        } else if here == best[(i - 1) * width + j] {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    // keywords alone prove nothing: an image not built from this Dockerfile would line up
    // RUN with RUN; without one instruction matched in full, nothing is attributed
    if strong == 0 {
        out.fill(None);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::instruction::Kind;
    use crate::dockerfile::parse;

    fn steps_of(df: &Dockerfile) -> Vec<Step<'_>> {
        df.instructions
            .iter()
            .filter(|i| i.kind != Kind::From)
            .map(|instruction| {
                let (keyword, detail) = instruction_signature(instruction);
                Step {
                    instruction,
                    stage: "0".into(),
                    keyword,
                    detail,
                }
            })
            .collect()
    }

    #[test]
    fn history_lines_up_with_the_dockerfile_tail() {
        let df = parse(
            "FROM debian\nRUN apt-get update\nCOPY app/ /srv/app/\nENV A=b\nRUN  make   all\n"
                .into(),
        );
        let steps = steps_of(&df);
        let history = [
            "/bin/sh -c #(nop) ADD file:abc in / ",
            "/bin/sh -c apt-get update",
            "RUN /bin/sh -c apt-get update # buildkit",
            "COPY app/ /srv/app/ # buildkit",
            "ENV A=b",
            "|1 TOKEN=x /bin/sh -c make all # buildkit",
        ];
        // the base image's own `apt-get update` is not ours; the later one is
        assert_eq!(
            align(&history, &steps),
            [None, None, Some(0), Some(1), Some(2), Some(3)]
        );
    }

    #[test]
    fn buildah_history_and_flags() {
        let df = parse("FROM x\nCOPY . /app\nRUN --mount=type=cache,target=/c make\n".into());
        let steps = steps_of(&df);
        let history = [
            "/bin/sh -c #(nop) COPY dir:0123abcd in /app ",
            "RUN --mount=type=cache,target=/c /bin/sh -c make # buildkit",
        ];
        assert_eq!(align(&history, &steps), [Some(0), Some(1)]);
        assert_eq!(align(&[], &steps), Vec::<Option<usize>>::new());
        // an unrelated image: same keywords, nothing in full
        let other = [
            "/bin/sh -c #(nop) COPY file:9 in /srv ",
            "/bin/sh -c npm ci",
        ];
        assert_eq!(align(&other, &steps), [None, None]);
    }
}
