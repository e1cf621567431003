//! Files a builder stage hands to the final image. A stage outside the final image's chain
//! leaves no history or config there, but `COPY --from=build /app /app` in a stage that does
//! reach it carries whatever `build` left under `/app`: a `.npmrc` a builder `RUN` wrote with
//! `$NPM_TOKEN` is then in the final image, and a finding on it must not be lowered as "only in
//! the build cache". This knows each stage's `WORKDIR` (to make a written path absolute) and
//! every `COPY --from` of the final chain; one hop (a stage copied from a stage that is itself
//! only copied from is not followed). `COPY --from` sources name paths from the root of the
//! stage they copy from, as patterns of Go's `filepath.Match` (the build context's selection,
//! [`dockerignore::Glob`] and [`dockerignore::selects`], judges them).

use std::sync::OnceLock;

use super::Dockerfile;
use super::checks::writes;
use super::dockerignore::{self, Glob};
use super::instruction::{Args, Kind};
use super::stages::Stages;

/// The `COPY --from`s of the final image's chain.
#[derive(Debug, Default)]
pub struct Carried {
    /// `(stage copied from, source, index of the COPY)`.
    copies: Vec<(usize, Paths, usize)>,
    /// Each stage's `WORKDIR`s: `(instruction index, absolute directory)`, in order.
    workdirs: Vec<Vec<(usize, String)>>,
    /// Each stage's removals by `RUN` (`rm`, a tool's undo): `(instruction index, what it
    /// removes)`.
    removals: Vec<Vec<(usize, Paths)>>,
}

impl Carried {
    /// Reads the stages' `WORKDIR`s and the final chain's `COPY --from`s.
    pub fn new(dockerfile: &Dockerfile, stages: &Stages) -> Carried {
        let mut carried = Carried::default();
        let by_name = |reference: &str| {
            (stages.stages.iter())
                .find(|s| {
                    s.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(reference))
                })
                .map(|s| s.index)
                .or_else(|| reference.parse().ok().filter(|&i| i < stages.stages.len()))
        };
        for stage in &stages.stages {
            let mut dir = String::from("/");
            let mut workdirs = Vec::new();
            let mut removals = Vec::new();
            for index in stage.body.clone() {
                let instruction = &dockerfile.instructions[index];
                if instruction.kind == Kind::Run {
                    let scripts = instruction.shell_script().into_iter();
                    let bodies = instruction.heredocs.iter().map(|h| h.body.as_str());
                    for path in scripts.chain(bodies).flat_map(writes::removed) {
                        removals.push((index, Paths::new(&join(&dir, &path))));
                    }
                }
                match (&instruction.kind, &instruction.args) {
                    (Kind::Workdir, Args::Text(path)) => {
                        dir = join(&dir, path.trim());
                        workdirs.push((index, dir.clone()));
                    }
                    (Kind::Copy, Args::Paths { sources, .. }) if stage.in_final_image => {
                        let Some(from) = instruction.flag_values("from").next() else {
                            continue;
                        };
                        let Some(from) = by_name(from).filter(|&f| f != stage.index) else {
                            continue;
                        };
                        for source in sources {
                            let source = Paths::new(&join("/", &source.value));
                            carried.copies.push((from, source, index));
                        }
                    }
                    _ => {}
                }
            }
            carried.workdirs.push(workdirs);
            carried.removals.push(removals);
        }
        carried
    }

    /// The absolute path of `path` as written by instruction `index` of stage `stage` (`~/` is
    /// `/root/`; a relative path is under the `WORKDIR` then in force, `/` when none is set).
    pub fn absolute(&self, stage: usize, index: usize, path: &str) -> String {
        let workdir = (self.workdirs.get(stage).into_iter().flatten())
            .take_while(|(at, _)| *at < index)
            .last()
            .map_or("/", |(_, dir)| dir.as_str());
        join(workdir, &writes::normalize(path))
    }

    /// The index of a `COPY --from` of the final chain that carries the absolute `path`, written
    /// by instruction `index`, out of stage `stage`, if one does and no later `RUN` of the stage
    /// removed it.
    pub fn carrier(&self, stage: usize, index: usize, path: &str) -> Option<usize> {
        let removed = (self.removals.get(stage).into_iter().flatten())
            .any(|(at, removed)| *at > index && removed.cover(path));
        if removed {
            return None;
        }
        (self.copies.iter())
            .find(|(from, source, _)| *from == stage && source.cover(path))
            .map(|&(_, _, index)| index)
    }
}

/// `path` under `dir` (or `path` itself when absolute), cleaned as Go's `filepath.Clean` does.
fn join(dir: &str, path: &str) -> String {
    match path.starts_with('/') {
        true => dockerignore::clean(path),
        false => dockerignore::clean(&format!("/{dir}/{path}")),
    }
}

/// The files an absolute path or pattern takes: itself, or everything under a directory it
/// names. The glob is built on first use: most `rm` arguments of a Dockerfile are never asked.
#[derive(Debug)]
struct Paths {
    /// The pattern, relative to `/`.
    relative: String,
    /// It compiled (`None` for a pattern Go rejects: it takes nothing).
    glob: OnceLock<Option<Glob>>,
}

impl Paths {
    fn new(absolute: &str) -> Paths {
        Paths {
            relative: absolute.trim_start_matches('/').to_owned(),
            glob: OnceLock::new(),
        }
    }

    /// True when the absolute, cleaned `path` is taken.
    fn cover(&self, path: &str) -> bool {
        if matches!(self.relative.as_str(), "" | ".") {
            return true;
        }
        let glob = self.glob.get_or_init(|| Glob::new(&self.relative, false));
        let relative = path.trim_start_matches('/');
        glob.as_ref()
            .is_some_and(|r| dockerignore::selects(r, relative))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;

    #[test]
    fn a_copy_from_a_builder_carries_what_it_covers() {
        let df = parse(
            "FROM node AS build\nWORKDIR /app\nRUN x\nWORKDIR web\nRUN y\n\
             FROM alpine AS other\nRUN z\n\
             FROM nginx\nCOPY --from=build /app/web/dist /usr/share/nginx/html\n\
             COPY --from=0 /root/.config/ /cfg/\nCOPY --from=build /srv/*.json /etc/\n"
                .into(),
        );
        let stages = Stages::new(&df, None);
        let carried = Carried::new(&df, &stages);
        assert_eq!(carried.absolute(0, 2, ".npmrc"), "/app/.npmrc");
        assert_eq!(carried.absolute(0, 4, "dist/.env"), "/app/web/dist/.env");
        assert_eq!(carried.absolute(0, 4, "~/.config/x"), "/root/.config/x");
        assert_eq!(carried.absolute(1, 6, "../etc/x"), "/etc/x");
        assert_eq!(carried.carrier(0, 0, "/app/web/dist/.env"), Some(8));
        assert_eq!(carried.carrier(0, 0, "/root/.config/gh/hosts.yml"), Some(9));
        assert_eq!(carried.carrier(0, 0, "/srv/credentials.json"), Some(10));
        assert_eq!(carried.carrier(0, 0, "/srv/sub/credentials.json"), None);
        assert_eq!(carried.carrier(0, 0, "/app/.npmrc"), None);
        assert_eq!(carried.carrier(1, 0, "/app/web/dist/.env"), None);
    }

    #[test]
    fn a_later_removal_in_the_builder_leaves_nothing_to_carry() {
        let df = parse(
            "FROM node AS build\nWORKDIR /app\nRUN write\nRUN rm -f .npmrc\nRUN write2\n\
             RUN npm config delete //r/:_authToken\nFROM alpine\nCOPY --from=build / /\n"
                .into(),
        );
        let stages = Stages::new(&df, None);
        let carried = Carried::new(&df, &stages);
        // written before the rm: removed; after it: carried
        assert_eq!(carried.carrier(0, 2, "/app/.npmrc"), None);
        assert_eq!(carried.carrier(0, 4, "/app/.npmrc"), Some(7));
        // the tool's undo clears its own file
        assert_eq!(carried.carrier(0, 4, "/root/.npmrc"), None);
        assert_eq!(carried.carrier(0, 4, "/root/.yarnrc"), Some(7));
    }

    #[test]
    fn patterns_match_one_component() {
        for (pattern, path, expected) in [
            ("/srv/*.json", "/srv/credentials.json", true),
            ("/srv/*", "/srv/.npmrc", true),
            ("/root/.ssh/id_*", "/root/.ssh/id_rsa", true),
            ("/root/.ssh/id_?sa", "/root/.ssh/id_rsa", true),
            ("/[a-c]x/y", "/bx/y", true),
            ("/srv/*.json", "/srv/x.jso", false),
            ("/a*b*c", "/aXbYc/z", true),
            ("/a*b*c", "/aXbY", false),
            ("/srv/*", "/srv/sub/x", true),
            ("/", "/anything", true),
        ] {
            assert_eq!(
                Paths::new(pattern).cover(path),
                expected,
                "{pattern} {path}"
            );
        }
    }
}
