//! Build stages: which instructions belong to which `FROM`, and which stages reach the final
//! image (the target stage and the chain of stages it is built `FROM`). `COPY --from` copies
//! files only, so a stage used that way is *not* part of the final image's history or config.

use std::collections::HashMap;
use std::ops::Range;

use super::Dockerfile;
use super::instruction::{Args, Kind};

/// One build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 0-based position among the stages.
    pub index: usize,
    /// The `AS` name, if any.
    pub name: Option<String>,
    /// Index of its `FROM` in [`Dockerfile::instructions`].
    pub from: usize,
    /// Indexes of the instructions after the `FROM`, up to the next `FROM`.
    pub body: Range<usize>,
    /// Whether its instructions shape the final image (history, config).
    pub in_final_image: bool,
}

impl Stage {
    /// The label used in findings: the name, or the index when unnamed.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.index.to_string())
    }
}

/// The stages of a Dockerfile and the global section before the first `FROM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stages {
    /// Indexes of instructions before the first `FROM` (global `ARG`s).
    pub global: Range<usize>,
    /// The stages, in order.
    pub stages: Vec<Stage>,
}

impl Stages {
    /// Splits `dockerfile` into stages. `target` names the stage built (default: the last);
    /// an unknown target falls back to the last stage.
    pub fn new(dockerfile: &Dockerfile, target: Option<&str>) -> Stages {
        let froms: Vec<usize> = dockerfile
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.kind == Kind::From)
            .map(|(at, _)| at)
            .collect();
        let total = dockerfile.instructions.len();
        let mut stages: Vec<Stage> = froms
            .iter()
            .enumerate()
            .map(|(index, &from)| Stage {
                index,
                name: match &dockerfile.instructions[from].args {
                    Args::From { name: Some(n), .. } => Some(n.value.clone()),
                    _ => None,
                },
                from,
                body: from + 1..froms.get(index + 1).copied().unwrap_or(total),
                in_final_image: false,
            })
            .collect();
        let global = 0..froms.first().copied().unwrap_or(total);
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for stage in &stages {
            if let Some(name) = &stage.name {
                by_name
                    .entry(name.to_ascii_lowercase())
                    .or_insert(stage.index);
            }
        }
        // BuildKit resolves FROM bases and --target by stage name only, never by index
        let find = |reference: &str| by_name.get(&reference.to_ascii_lowercase()).copied();
        let target_index = target
            .and_then(|t| find(t).filter(|&i| i < stages.len()))
            .or(stages.len().checked_sub(1));
        let mut next = target_index;
        while let Some(at) = next {
            if stages[at].in_final_image {
                break; // a FROM loop; BuildKit rejects it, we just stop
            }
            stages[at].in_final_image = true;
            next = match &dockerfile.instructions[stages[at].from].args {
                // only an earlier stage can be a base
                Args::From { image, .. } => find(&image.value).filter(|&i| i < at),
                _ => None,
            };
        }
        Stages { global, stages }
    }

    /// The stage holding instruction `index`, or `None` in the global section.
    pub fn stage_of(&self, index: usize) -> Option<&Stage> {
        let at = self.stages.partition_point(|s| s.from <= index);
        let stage = self.stages.get(at.checked_sub(1)?)?;
        (stage.from == index || stage.body.contains(&index)).then_some(stage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;

    #[test]
    fn final_chain_follows_from_not_copy_from() {
        let df = parse(
            "ARG V=1\nFROM alpine AS deps\nRUN a\nFROM deps AS build\nRUN b\n\
             FROM golang AS tools\nRUN c\nFROM build\nCOPY --from=tools /x /x\n"
                .into(),
        );
        let stages = Stages::new(&df, None);
        assert_eq!(stages.global, 0..1);
        let reach: Vec<bool> = stages.stages.iter().map(|s| s.in_final_image).collect();
        assert_eq!(reach, [true, true, false, true]);
        assert_eq!(stages.stages[3].label(), "3");
        assert_eq!(stages.stage_of(2).unwrap().label(), "deps");
        assert!(stages.stage_of(0).is_none());
        let tools = Stages::new(&df, Some("TOOLS"));
        let reach: Vec<bool> = tools.stages.iter().map(|s| s.in_final_image).collect();
        assert_eq!(reach, [false, false, true, false]);
    }
}
