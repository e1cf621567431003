//! Secret files a `RUN` writes into its layer: `echo "$SSH_KEY" > ~/.ssh/id_rsa`,
//! `echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" >> ~/.npmrc`, `… | tee .env`,
//! `cp /run/secrets/npmrc ~/.npmrc`, `cat <<EOF > ~/.npmrc` with a heredoc that expands one,
//! `sed -i "s/@TOKEN@/$API_TOKEN/" config.js`, and a tool keeping what it is given in its own
//! file (`npm config set //…/:_authToken $NPM_TOKEN` into `~/.npmrc`, `docker login`; see
//! [`super::tools`], reported only for a build secret or a secret-named variable). The file is
//! named by the path rules (as `COPY`'s are); its content comes from a build secret
//! (`/run/secrets/…`) or a variable, so no content rule can see the value, but the layer keeps
//! it. Written from a variable whose name does not look secret (`echo "registry=$REGISTRY" >
//! .npmrc`), a file is reported only when its kind is high severity (keys, credential files). Any other file that receives a build secret
//! or a secret-named variable (`echo "export NPM_TOKEN=$NPM_TOKEN" >> ~/.bashrc`, `cat
//! /run/secrets/x >> /etc/environment`) is reported under `dockerfile.run-writes-secret`.
//! Literal content is left to the content rules (`echo 'sass_binary_site=…' >> ~/.npmrc` is no
//! leak); what the shell does not expand (`'$X'`, `\$X`) is text for later; a hash of a secret
//! is no copy of it; and a file the same `RUN` removes again (`rm -f ~/.npmrc`, `rm -rf
//! /root/.ssh`) never reaches the layer.

use std::collections::HashMap;

use super::Candidate;
use super::tools;
use crate::dockerfile::instruction::{Instruction, Kind};
use crate::finding::{self, Severity};
use crate::rules::RuleSet;
use crate::rules::names;

/// True when a stage's output is derived from its input, not a copy of it: a hash or a count
/// (`openssl passwd`, `sha256sum`; `openssl enc -d` decrypts, which is a copy).
fn derives(stage: &Stage) -> bool {
    const DERIVING: &[&str] = &[
        "mkpasswd",
        "htpasswd",
        "md5sum",
        "sha1sum",
        "sha224sum",
        "sha256sum",
        "sha384sum",
        "sha512sum",
        "b2sum",
        "cksum",
        "wc",
    ];
    const OPENSSL_DIGESTS: &[&str] = &["passwd", "dgst", "md5", "sha1", "sha256", "sha512"];
    let mut words = stage.words.iter().map(|w| w.text.as_str());
    match words.next() {
        Some("openssl") => words.next().is_some_and(|w| OPENSSL_DIGESTS.contains(&w)),
        Some(command) => DERIVING.contains(&command),
        None => false,
    }
}

/// The names of the variables `text` expands: `$NAME` and `${NAME…}`, not escaped (`\$X`) and,
/// when `quotes` (shell text, not a heredoc body), not inside single quotes (`'$X'` writes
/// `$X` itself: a script or a config file that expands it later).
fn expanded(text: &str, quotes: bool) -> Vec<String> {
    let bytes = text.as_bytes();
    let (mut out, mut single, mut double, mut i) = (Vec::new(), false, false, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if !single => i += 1,
            b'\'' if quotes && !double => single = !single,
            b'"' if quotes && !single => double = !double,
            b'$' if !single => {
                let start = i + 1 + usize::from(bytes.get(i + 1) == Some(&b'{'));
                let len = bytes[start.min(bytes.len())..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                let name = &text[start..start + len];
                if name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                    out.push(name.to_owned());
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The variables a `RUN` gets build secrets in: `--mount=type=secret,id=gh,env=GH_TOKEN`
/// (Dockerfile syntax 1.10).
fn secret_envs(instruction: &Instruction) -> Vec<String> {
    let mounts = (instruction.flags.iter())
        .filter(|f| f.name == "mount")
        .filter_map(|f| f.value.as_deref());
    let mut out = Vec::new();
    for mount in mounts {
        let options: Vec<(&str, &str)> = (mount.split(','))
            .filter_map(|option| option.split_once('='))
            .collect();
        if options.contains(&("type", "secret")) {
            out.extend(
                options
                    .iter()
                    .filter(|(k, _)| *k == "env")
                    .map(|(_, v)| v.to_string()),
            );
        }
    }
    out
}

/// Candidates for secret files written by a `RUN`.
pub fn check<'r>(instruction: &Instruction, rules: &'r RuleSet) -> Vec<Candidate<'r>> {
    if instruction.kind != Kind::Run {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(shell) = instruction.shell_script() {
        let base = instruction.text.text.find(shell).unwrap_or(0);
        // `cat <<EOF > ~/.npmrc`: what the heredocs expand is written too (read once, however
        // many commands read them)
        let mut bodies = Source::default();
        for heredoc in instruction.heredocs.iter().filter(|h| h.expand) {
            bodies.variables(expanded(&heredoc.body, false));
        }
        let envs = secret_envs(instruction);
        let from_env = |source: &Source| source.names.iter().any(|n| envs.contains(n));
        for mut write in writes(shell) {
            write.source.secret_mount |=
                from_env(&write.source) || (write.source.heredoc && from_env(&bodies));
            if write.source.heredoc {
                let (first, secret) = (bodies.first.clone(), bodies.secret.clone());
                write
                    .source
                    .variables(first.into_iter().chain(secret).collect());
            }
            let span = (
                instruction.text.file_offset(base + write.start),
                instruction.text.file_offset(base + write.end),
            );
            out.extend(candidate(&write, span, rules));
        }
    }
    for heredoc in &instruction.heredocs {
        for write in writes(&heredoc.body) {
            let span = (heredoc.offset + write.start, heredoc.offset + write.end);
            out.extend(candidate(&write, span, rules));
        }
    }
    out
}

fn candidate<'r>(write: &Write, span: (usize, usize), rules: &'r RuleSet) -> Option<Candidate<'r>> {
    let path = write.target.trim_start_matches("./");
    let source = &write.source;
    let from = match (
        source.secret_mount,
        source.secret.as_ref().or(source.first.as_ref()),
    ) {
        (true, _) => "a build secret".to_owned(),
        (false, Some(name)) => format!("${name}"),
        (false, None) => return None,
    };
    let secret_source = source.secret_mount || source.secret.is_some();
    // a tool's file holds many settings: only a secret given to it makes it a leak
    // (`npm config set registry $REGISTRY` is none)
    if write.via.is_some() && !secret_source {
        return None;
    }
    let (rule, severity, what) = match rules.match_path(path) {
        // a secret file: from a secret, or (keys, credential files) from any variable
        Some(rule) if secret_source || rule.severity >= Severity::High => {
            (rule, rule.severity, format!(" ({})", rule.name))
        }
        Some(_) => return None,
        // any other file that keeps a build secret or a secret-named variable (a shell
        // profile, /etc/environment, a config file, an APT source with a token in its URL)
        None if secret_source
            && !["/dev/", "/proc/", "/sys/"]
                .iter()
                .any(|p| path.starts_with(p)) =>
        {
            let rule = rules.get("dockerfile.run-writes-secret")?;
            let severity = match source.secret_mount {
                true => Severity::High,
                false => Severity::Medium,
            };
            (rule, severity, String::new())
        }
        None => return None,
    };
    Some(Candidate {
        rule,
        severity,
        message: format!(
            "RUN writes {from} into {}{what}{}; the file stays in this layer of the image",
            write.target,
            write
                .via
                .map(|via| format!(" through {via}"))
                .unwrap_or_default(),
        ),
        span,
        anchor: finding::file_key(path),
        secret: None,
        context_file: None,
        confidence: None,
        written: Some(write.target.clone()),
    })
}

/// A file a command writes, and where its content comes from.
#[derive(Debug, PartialEq)]
struct Write {
    /// The target as written, unquoted.
    target: String,
    /// Byte range of the target word in the text.
    start: usize,
    end: usize,
    /// What the writing pipeline reads.
    source: Source,
    /// The tool that keeps it in its file (`npm config set`), when no redirection writes it.
    via: Option<&'static str>,
}

/// A shell word with its byte range.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    start: usize,
    end: usize,
}

/// One pipeline stage: its words and the redirection targets (`>`, `>>`) among them.
#[derive(Debug, Default)]
struct Stage {
    words: Vec<Word>,
    redirects: Vec<Word>,
    /// Byte range of the stage's text.
    start: usize,
    end: usize,
}

/// Every file written (redirection, `tee`, `cp`/`install`/`mv` of a build secret, `sed -i`)
/// that no later `rm` of the same text removes. Linear in the text: each stage is read once,
/// and removals are looked up by path, parent directory and name.
fn writes(text: &str) -> Vec<Write> {
    let pipelines = pipelines(text);
    let removed = removals(&pipelines);
    let mut out = Vec::new();
    for (p, pipeline) in pipelines.iter().enumerate() {
        let mut source = Source::default();
        for stage in pipeline {
            let command = stage.words.first().map(|w| w.text.as_str());
            let args = stage.words.get(1..).unwrap_or_default();
            // `tee` writes what the stages before it give; the others, with their own words
            let before = source.clone();
            source.read(&text[stage.start.min(stage.end)..stage.end]);
            // a hash of the secret is written, not the secret (`openssl passwd -6 -stdin <
            // /run/secrets/pw > hash`, `echo "$PW" | sha256sum > sum`)
            source.derived |= derives(stage);
            // a tool keeping what it is given in its own file (`npm config set`, `docker login`)
            let words: Vec<&str> = stage.words.iter().map(|w| w.text.as_str()).collect();
            let store = tools::stored(&words).map(|store| {
                let (start, end) = (stage.words[0].start, stage.words[words.len() - 1].end);
                let word = Word {
                    text: store.file,
                    start,
                    end,
                };
                (word, store.via)
            });
            let mut targets: Vec<(&Word, &Source)> =
                stage.redirects.iter().map(|w| (w, &source)).collect();
            if let Some((word, _)) = &store {
                targets.push((word, &source));
            }
            match (command, args.split_last()) {
                (Some("tee"), _) => targets.extend(
                    args.iter()
                        .filter(|w| !w.text.starts_with('-'))
                        .map(|w| (w, &before)),
                ),
                (Some("cp" | "install" | "mv"), Some((last, sources)))
                    if sources.iter().any(|w| w.text.contains("/run/secrets/")) =>
                {
                    targets.push((last, &source));
                }
                // `sed -i "s/@TOKEN@/$TOKEN/" config.js` edits its last file in place
                (Some("sed"), Some((last, _)))
                    if args
                        .iter()
                        .any(|w| w.text.starts_with("-i") || w.text == "--in-place") =>
                {
                    targets.push((last, &source));
                }
                _ => {}
            }
            for (target, from) in targets {
                if from.derived || removed_after(&removed, &target.text, p) {
                    continue;
                }
                let via = store.as_ref().filter(|(w, _)| std::ptr::eq(w, target));
                out.push(Write {
                    target: target.text.clone(),
                    start: target.start,
                    end: target.end,
                    source: from.clone(),
                    via: via.map(|(_, via)| *via),
                });
            }
        }
    }
    out
}

/// What a pipeline has read up to a stage: enough to judge what it writes.
#[derive(Debug, Clone, Default, PartialEq)]
struct Source {
    /// The first variable it expands, and the first whose name looks secret.
    first: Option<String>,
    secret: Option<String>,
    /// It reads a build secret (`/run/secrets/…`, or a variable a secret mount sets).
    secret_mount: bool,
    /// Every variable it expands.
    names: Vec<String>,
    /// It reads a heredoc (`<<EOF`).
    heredoc: bool,
    /// A stage on the way hashes or counts (see [`derives`]).
    derived: bool,
}

impl Source {
    /// Takes in a stage's text.
    fn read(&mut self, text: &str) {
        self.variables(expanded(text, true));
        self.secret_mount |= text.contains("/run/secrets/");
        self.heredoc |= text.contains("<<");
    }

    /// Takes in expanded variable names.
    fn variables(&mut self, names: Vec<String>) {
        for name in names {
            if self.secret.is_none() && names::is_secret_name(&name) {
                self.secret = Some(name.clone());
            }
            if self.first.is_none() {
                self.first = Some(name.clone());
            }
            self.names.push(name);
        }
    }
}

/// For each removal key, the last pipeline that removes it with `rm`/`shred`: `path:<path>`
/// (normalised) and `name:<file name>`.
fn removals(pipelines: &[Vec<Stage>]) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for (p, stage) in pipelines
        .iter()
        .enumerate()
        .flat_map(|(p, stages)| stages.iter().map(move |s| (p, s)))
    {
        // a tool's undo clears its own file (`npm config delete` edits `~/.npmrc`, not a
        // `.npmrc` elsewhere): by path only
        if let Some(file) = undone_by(stage) {
            out.insert(format!("path:{file}"), p);
        }
        for path in removed_by(stage) {
            let name = path.rsplit('/').next().unwrap_or(&path);
            out.insert(format!("name:{name}"), p);
            out.insert(format!("path:{path}"), p);
        }
    }
    out
}

/// The file a stage's tool undo clears (`npm config delete` → `/root/.npmrc`).
fn undone_by(stage: &Stage) -> Option<String> {
    let words: Vec<&str> = stage.words.iter().map(|w| w.text.as_str()).collect();
    tools::undone(&words).map(|file| normalize(&file))
}

/// The paths (normalised, maybe relative or patterns) a stage's `rm`/`shred` removes.
fn removed_by(stage: &Stage) -> Vec<String> {
    match stage.words.split_first() {
        Some((command, args)) if matches!(command.text.as_str(), "rm" | "shred") => (args.iter())
            .filter(|w| !w.text.starts_with('-'))
            .map(|w| normalize(&w.text))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every path a shell script removes or a tool's undo clears, in order.
pub fn removed(text: &str) -> Vec<String> {
    let stages = pipelines(text).into_iter().flatten();
    stages
        .flat_map(|s| undone_by(&s).into_iter().chain(removed_by(&s)))
        .collect()
}

/// True when a pipeline after `p` removes `target`: the same path, a directory holding it, or
/// the same file name (a relative path after a `cd`).
fn removed_after(removed: &HashMap<String, usize>, target: &str, p: usize) -> bool {
    let target = normalize(target);
    let name = target.rsplit('/').next().unwrap_or(&target);
    let later = |key: String| removed.get(&key).is_some_and(|&at| at > p);
    later(format!("path:{target}"))
        || later(format!("name:{name}"))
        || target
            .match_indices('/')
            .any(|(i, _)| later(format!("path:{}", &target[..i])))
}

/// `~/x`, `$HOME/x` and `${HOME}/x` as `/root/x` (the user of most builds).
pub(crate) fn normalize(path: &str) -> String {
    for home in ["~/", "$HOME/", "${HOME}/"] {
        if let Some(rest) = path.strip_prefix(home) {
            return format!("/root/{rest}");
        }
    }
    path.trim_end_matches('/').to_owned()
}

/// The text's pipelines (split at unquoted `;`, `&&`, `||`, `&`, newlines and parentheses), each
/// a list of stages (split at `|`). Quotes are honoured, words unquoted; it is not a shell, only
/// enough of one to find who writes which file.
fn pipelines(text: &str) -> Vec<Vec<Stage>> {
    let bytes = text.as_bytes();
    let mut out: Vec<Vec<Stage>> = vec![Vec::new()];
    let mut stage = Stage::default();
    let mut word: Option<Word> = None;
    let mut redirect = false;
    let mut i = 0;
    let finish_word = |word: &mut Option<Word>, stage: &mut Stage, redirect: &mut bool| {
        if let Some(w) = word.take() {
            if std::mem::take(redirect) {
                stage.redirects.push(w);
            } else {
                stage.words.push(w);
            }
        }
    };
    let finish_stage = |stage: &mut Stage, at: usize, out: &mut Vec<Vec<Stage>>, new_pipeline| {
        stage.end = at;
        let done = std::mem::take(stage);
        stage.start = at + 1;
        if let Some(last) = out.last_mut() {
            last.push(done);
        }
        if new_pipeline {
            out.push(Vec::new());
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\'' | b'"' => {
                // inside double quotes a backslash escapes the next byte (`\"` does not close)
                let mut close = i + 1;
                while close < bytes.len() && bytes[close] != b {
                    close += if b == b'"' && bytes[close] == b'\\' {
                        2
                    } else {
                        1
                    };
                }
                let close = close.min(bytes.len());
                let w = word.get_or_insert(Word {
                    text: String::new(),
                    start: i,
                    end: i,
                });
                w.text.push_str(&text[i + 1..close]);
                i = (close + 1).min(bytes.len());
                w.end = i;
                continue;
            }
            b'\\' if i + 1 < bytes.len() => {
                let w = word.get_or_insert(Word {
                    text: String::new(),
                    start: i,
                    end: i,
                });
                let next = text[i + 1..].chars().next().unwrap_or(' ');
                w.text.push(next);
                i += 1 + next.len_utf8();
                w.end = i;
                continue;
            }
            b' ' | b'\t' | b'\r' => finish_word(&mut word, &mut stage, &mut redirect),
            b'>' => {
                // `2>` names a stream (its digits are no word); `>&2`/`2>&1` duplicate one
                if word
                    .as_ref()
                    .is_some_and(|w| w.end == i && w.text.bytes().all(|c| c.is_ascii_digit()))
                {
                    word = None;
                }
                finish_word(&mut word, &mut stage, &mut redirect);
                if bytes.get(i + 1) == Some(&b'>') {
                    i += 1;
                }
                if bytes.get(i + 1) == Some(&b'&') {
                    i += 2;
                    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'-') {
                        i += 1;
                    }
                    continue;
                }
                redirect = true;
            }
            b'&' if bytes.get(i + 1) == Some(&b'>') => {
                // `&>`: both streams to the file; the `>` comes next
                finish_word(&mut word, &mut stage, &mut redirect);
            }
            b'<' => finish_word(&mut word, &mut stage, &mut redirect),
            b';' | b'\n' | b'(' | b')' | b'&' | b'|' => {
                finish_word(&mut word, &mut stage, &mut redirect);
                let pipe = b == b'|' && bytes.get(i + 1) != Some(&b'|');
                finish_stage(&mut stage, i, &mut out, !pipe);
                if (b == b'&' || b == b'|') && bytes.get(i + 1) == Some(&b) {
                    i += 1;
                    stage.start = i + 1;
                }
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or(' ');
                let w = word.get_or_insert(Word {
                    text: String::new(),
                    start: i,
                    end: i,
                });
                w.text.push(c);
                i += c.len_utf8();
                w.end = i;
                continue;
            }
        }
        i += 1;
    }
    finish_word(&mut word, &mut stage, &mut redirect);
    finish_stage(&mut stage, bytes.len(), &mut out, false);
    out.retain(|p| !p.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(target, the first variable read, whether a build secret is read)` of every write.
    fn targets(text: &str) -> Vec<(String, Vec<String>, bool)> {
        writes(text)
            .into_iter()
            .map(|w| {
                (
                    w.target,
                    w.source.first.into_iter().collect(),
                    w.source.secret_mount,
                )
            })
            .collect()
    }

    #[test]
    fn finds_who_writes_what() {
        let t = |s: &str| targets(s);
        assert_eq!(
            t(r#"mkdir /root/.ssh && echo "$GIT_SSH_KEY" > "/root/.ssh/id_rsa" && chmod 600 x"#),
            [(
                "/root/.ssh/id_rsa".into(),
                vec!["GIT_SSH_KEY".into()],
                false
            )]
        );
        assert_eq!(
            t("echo ${KEY} | base64 -d >> ~/.ssh/id_ed25519 2>/dev/null"),
            [
                ("~/.ssh/id_ed25519".into(), vec!["KEY".into()], false),
                ("/dev/null".into(), vec!["KEY".into()], false)
            ]
        );
        assert_eq!(
            t("printf '%s' \"$T\" | tee -a .npmrc >/dev/null; cat x"),
            [
                ("/dev/null".into(), vec!["T".into()], false),
                (".npmrc".into(), vec!["T".into()], false)
            ]
        );
        assert_eq!(
            t("cp /run/secrets/npmrc /root/.npmrc && npm ci"),
            [("/root/.npmrc".into(), vec![], true)]
        );
        // the source of a write is its own pipeline, not the commands before it
        assert_eq!(
            t("export A=$TOKEN; echo hi > .env"),
            [(".env".into(), vec![], false)]
        );
        // `>&2` is a stream, `2>&1` too
        assert!(t("echo $X >&2; echo $Y 2>&1").is_empty());
        // a script written for later holds redirections the build does not run
        assert_eq!(
            t(r#"echo -e "run \"$PW\" > ~/.my.cnf \n" > /start.sh"#),
            [("/start.sh".into(), vec!["PW".into()], false)]
        );
        // commands without arguments, and nothing at all
        for text in [
            "cp",
            "tee",
            "rm",
            "mv;",
            "",
            ">",
            "|",
            "&&",
            "'",
            "\\",
            "echo $A >",
        ] {
            let _ = t(text);
        }
    }

    #[test]
    fn only_what_the_shell_expands_is_a_variable() {
        assert_eq!(
            expanded(r#"a $A "${B:-x}" '$C' \$D "'$E'" '"$F"'"#, true),
            ["A", "B", "E"]
        );
        assert_eq!(expanded("x '$A' \\$B ${C}", false), ["A", "C"]);
        assert!(expanded("$ ${ $1 $", true).is_empty());
        // a hash of a secret is no secret
        assert!(targets("openssl passwd -6 -stdin < /run/secrets/pw > /tmp/hash").is_empty());
        assert!(targets("echo \"$PW\" | sha256sum > /tmp/sum").is_empty());
        assert_eq!(
            targets("openssl enc -d -in /run/secrets/k.enc > /app/k").len(),
            1
        );
        // a script written in single quotes for later
        assert!(
            targets("echo 'env[S] = $FB_SECRET' >> /etc/php-fpm.d/www.conf")[0]
                .1
                .is_empty()
        );
    }

    #[test]
    fn the_first_secret_variable_names_the_source() {
        let write = &writes("echo \"$HOME $USER $NPM_TOKEN $API_KEY\" >> .npmrc")[0];
        assert_eq!(write.source.first.as_deref(), Some("HOME"));
        assert_eq!(write.source.secret.as_deref(), Some("NPM_TOKEN"));
    }

    #[test]
    fn a_tool_keeps_what_it_is_given_in_its_own_file() {
        let stores = writes("npm config set //r/:_authToken $NPM_TOKEN && npm ci");
        assert_eq!(stores.len(), 1);
        assert_eq!(stores[0].target, "~/.npmrc");
        assert_eq!(stores[0].via, Some("npm config set"));
        assert_eq!(stores[0].source.secret.as_deref(), Some("NPM_TOKEN"));
        // standard input counts: the pipeline before the tool is its source
        let login = writes("cat /run/secrets/reg | docker login -u ci --password-stdin r.io");
        assert!(login[0].source.secret_mount, "{login:?}");
        // undone by the same RUN, by the tool or by rm
        for text in [
            "npm config set //r/:_authToken $T && npm ci && npm config delete //r/:_authToken",
            "docker login -u x -p $T r.io && docker push r.io/x && docker logout r.io",
            "git config --global url.https://$T@github.com/.insteadOf https://github.com/ && go mod download && rm ~/.gitconfig",
        ] {
            assert!(writes(text).is_empty(), "{text}");
        }
        // undoing another file leaves this one
        assert_eq!(
            writes("npm config set a $T && npm config delete --location=project a").len(),
            1
        );
    }

    #[test]
    fn a_file_removed_by_the_same_run_is_not_written() {
        assert!(targets("echo $K > ~/.ssh/id_rsa && git clone x && rm ~/.ssh/id_rsa").is_empty());
        assert!(
            targets("echo $K > /root/.ssh/id_rsa && git clone x && rm -rf /root/.ssh").is_empty()
        );
        assert!(targets("cd /app && echo $T > .npmrc && npm ci && rm -f /app/.npmrc").is_empty());
        // removed before it is written, or something else removed
        assert_eq!(targets("rm -f .npmrc; echo $T > .npmrc").len(), 1);
        assert_eq!(targets("echo $T > .npmrc; rm -f .yarnrc").len(), 1);
    }
}
