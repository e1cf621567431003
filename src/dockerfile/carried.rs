//! Files a builder stage hands to the final image. A stage outside the final image's chain
//! leaves no history or config there, but `COPY --from=build /app /app` in a stage that does
//! reach it carries whatever `build` left under `/app`: a `.npmrc` a builder `RUN` wrote with
//! `$NPM_TOKEN` is then in the final image, and a finding on it must not be lowered as "only in
//! the build cache". This knows each stage's `WORKDIR` (to make a written path absolute) and
//! every `COPY --from` of the final chain; one hop (a stage copied from a stage that is itself
//! only copied from is not followed). `COPY --from` sources name paths from the root of the
//! stage they copy from; `*`, `?` and `[…]` match within one path component.

use super::Dockerfile;
use super::checks::writes;
use super::instruction::{Args, Kind};
use super::stages::Stages;

/// The `COPY --from`s of the final image's chain.
#[derive(Debug, Default)]
pub struct Carried {
    /// `(stage copied from, source path, index of the COPY)`.
    copies: Vec<(usize, String, usize)>,
    /// Each stage's `WORKDIR`s: `(instruction index, absolute directory)`, in order.
    workdirs: Vec<Vec<(usize, String)>>,
    /// Each stage's removals by `RUN` (`rm`, a tool's undo): `(instruction index, absolute path
    /// or pattern)`.
    removals: Vec<Vec<(usize, String)>>,
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
                        removals.push((index, join(&dir, &path)));
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
                            carried.copies.push((from, join("/", &source.value), index));
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
        let home = ["~/", "$HOME/", "${HOME}/"]
            .iter()
            .find_map(|h| path.strip_prefix(h))
            .map(|rest| format!("/root/{rest}"));
        join(workdir, home.as_deref().unwrap_or(path))
    }

    /// The index of a `COPY --from` of the final chain that carries the absolute `path`, written
    /// by instruction `index`, out of stage `stage`, if one does and no later `RUN` of the stage
    /// removed it.
    pub fn carrier(&self, stage: usize, index: usize, path: &str) -> Option<usize> {
        let removed = (self.removals.get(stage).into_iter().flatten())
            .any(|(at, removed)| *at > index && covers(removed, path));
        if removed {
            return None;
        }
        (self.copies.iter())
            .find(|(from, source, _)| *from == stage && covers(source, path))
            .map(|&(_, _, index)| index)
    }
}

/// `path` under `dir` (or `path` itself when absolute), with `.` and `..` resolved.
fn join(dir: &str, path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let start = if path.starts_with('/') { "" } else { dir };
    for part in start.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// True when copying `source` (absolute, maybe a pattern) copies the file `path`: the file
/// itself or a directory above it.
fn covers(source: &str, path: &str) -> bool {
    let source: Vec<&str> = source.split('/').filter(|p| !p.is_empty()).collect();
    let path: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    source.len() <= path.len() && source.iter().zip(&path).all(|(s, p)| matches(s, p))
}

/// One path component against a pattern component (`*`, `?`, `[…]`; anything else literal).
fn matches(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // positions reachable in `name` after each pattern step, as a set: linear in both lengths
    let mut at = vec![false; n.len() + 1];
    at[0] = true;
    let mut i = 0;
    while i < p.len() {
        let mut next = vec![false; n.len() + 1];
        let step = match p[i] {
            '*' => {
                let mut seen = false;
                for (k, slot) in next.iter_mut().enumerate() {
                    seen |= at[k];
                    *slot = seen;
                }
                1
            }
            '[' => match p[i + 1..].iter().position(|&c| c == ']') {
                Some(close) => {
                    let class = &p[i + 1..i + 1 + close];
                    let (negated, class) = match class.first() {
                        Some('^' | '!') => (true, &class[1..]),
                        _ => (false, class),
                    };
                    for k in 0..n.len() {
                        if at[k] && in_class(class, n[k]) != negated {
                            next[k + 1] = true;
                        }
                    }
                    close + 2
                }
                None => literal(&at, &mut next, &n, '['),
            },
            '?' => {
                next[1..].copy_from_slice(&at[..n.len()]);
                1
            }
            c => literal(&at, &mut next, &n, c),
        };
        at = next;
        i += step;
    }
    at[n.len()]
}

fn literal(at: &[bool], next: &mut [bool], name: &[char], c: char) -> usize {
    for k in 0..name.len() {
        if at[k] && name[k] == c {
            next[k + 1] = true;
        }
    }
    1
}

/// `c` in a bracket class body (`a-z0-9_`).
fn in_class(class: &[char], c: char) -> bool {
    let mut i = 0;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == '-' {
            if (class[i]..=class[i + 2]).contains(&c) {
                return true;
            }
            i += 3;
        } else {
            if class[i] == c {
                return true;
            }
            i += 1;
        }
    }
    false
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
        for (pattern, name, expected) in [
            ("*.json", "credentials.json", true),
            ("*", ".npmrc", true),
            ("id_*", "id_rsa", true),
            ("id_?sa", "id_rsa", true),
            ("[a-c]x", "bx", true),
            ("[!a-c]x", "bx", false),
            ("[abc", "[abc", true),
            ("*.json", "x.jso", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
        ] {
            assert_eq!(matches(pattern, name), expected, "{pattern} {name}");
        }
    }
}
