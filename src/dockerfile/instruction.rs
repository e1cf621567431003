//! The instruction model and the per-keyword argument parsing of BuildKit's dispatch table:
//! name=value lists (`ENV`, `ARG`, `LABEL`), JSON-or-shell commands (`RUN`, `CMD`,
//! `ENTRYPOINT`, `SHELL`, `HEALTHCHECK CMD`), path lists (`COPY`, `ADD`, `VOLUME`), `FROM … AS`,
//! and `ONBUILD` wrapping another instruction. Offsets stored here are file byte offsets.

use super::lexer::{self, RawWord};
use super::text::Logical;

/// An instruction keyword. Unknown keywords are kept (BuildKit rejects them at build time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Kind {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
    Unknown,
}

impl Kind {
    /// The kind for a keyword, case-insensitively.
    pub fn parse(keyword: &str) -> Kind {
        match keyword.to_ascii_lowercase().as_str() {
            "add" => Kind::Add,
            "arg" => Kind::Arg,
            "cmd" => Kind::Cmd,
            "copy" => Kind::Copy,
            "entrypoint" => Kind::Entrypoint,
            "env" => Kind::Env,
            "expose" => Kind::Expose,
            "from" => Kind::From,
            "healthcheck" => Kind::Healthcheck,
            "label" => Kind::Label,
            "maintainer" => Kind::Maintainer,
            "onbuild" => Kind::Onbuild,
            "run" => Kind::Run,
            "shell" => Kind::Shell,
            "stopsignal" => Kind::Stopsignal,
            "user" => Kind::User,
            "volume" => Kind::Volume,
            "workdir" => Kind::Workdir,
            _ => Kind::Unknown,
        }
    }
}

/// A word of an instruction's arguments, quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The value, unquoted, variables not expanded.
    pub value: String,
    /// Whether the value refers to a variable (`$X`).
    pub has_reference: bool,
    /// File offset of the word's first character (after an opening quote).
    pub offset: usize,
}

/// `NAME=value` of `ENV`, `ARG` or `LABEL`; `value` is `None` for `ARG NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The name.
    pub key: Word,
    /// The value, if one is given.
    pub value: Option<Word>,
}

/// A `--name[=value]` flag before the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Flag name without dashes.
    pub name: String,
    /// Value after `=`, if any.
    pub value: Option<String>,
    /// File offset of the flag.
    pub offset: usize,
}

/// A command in shell or exec (JSON) form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Shell form: the text handed to the shell.
    Shell(String),
    /// Exec form: the JSON array's strings.
    Exec(Vec<String>),
}

/// Parsed arguments, by instruction kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// `ENV`, `ARG`, `LABEL`.
    KeyValues(Vec<KeyValue>),
    /// `RUN`, `CMD`, `ENTRYPOINT`, `SHELL`, `HEALTHCHECK CMD`.
    Command(Command),
    /// `COPY`, `ADD`: sources then destination.
    Paths {
        /// Source paths, patterns or URLs (`<<EOF` for a heredoc source).
        sources: Vec<Word>,
        /// The destination.
        dest: Word,
    },
    /// `FROM image [AS name]`.
    From {
        /// The base image (or an earlier stage's name).
        image: Word,
        /// The stage name.
        name: Option<Word>,
    },
    /// `ONBUILD` and the instruction it wraps.
    Onbuild(Box<Instruction>),
    /// Everything else, and anything that failed to parse: the argument text.
    Text(String),
}

/// A heredoc attached to `RUN`, `COPY` or `ADD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The terminator word, unquoted.
    pub name: String,
    /// Whether variables in the body are expanded (the name was not quoted).
    pub expand: bool,
    /// `<<-`: leading tabs are stripped.
    pub chomp: bool,
    /// The body, exactly as in the file, newlines included.
    pub body: String,
    /// File offset of the body's first byte.
    pub offset: usize,
}

/// One instruction, with its text and positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// What it is.
    pub kind: Kind,
    /// The keyword as written.
    pub keyword: String,
    /// The logical line (continuations joined), with the map back to file offsets.
    pub text: Logical,
    /// File offset of the keyword.
    pub offset: usize,
    /// Leading `--flags`, repeated ones kept in order.
    pub flags: Vec<Flag>,
    /// Parsed arguments.
    pub args: Args,
    /// Heredoc bodies, in order.
    pub heredocs: Vec<Heredoc>,
    /// The comment lines right above the instruction (`#` removed, trimmed).
    pub comments: Vec<String>,
}

impl Instruction {
    /// Values of every flag called `name` (e.g. all `--mount`s).
    pub fn flag_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.flags
            .iter()
            .filter(move |f| f.name == name)
            .filter_map(|f| f.value.as_deref())
    }

    /// True when the arguments are in exec (JSON) form.
    pub fn is_exec_form(&self) -> bool {
        matches!(self.args, Args::Command(Command::Exec(_)))
    }

    /// The text a shell runs: the shell form's command, or the script of an exec form that
    /// hands one to a shell (`["/bin/bash", "-c", "…"]`, `["sh", "-exc", "…"]`).
    pub fn shell_script(&self) -> Option<&str> {
        match &self.args {
            Args::Command(Command::Shell(shell)) => Some(shell),
            Args::Command(Command::Exec(list)) => match list.as_slice() {
                [shell, flag, script, ..]
                    if ["sh", "bash", "dash", "ash", "zsh", "ksh"]
                        .contains(&shell.rsplit('/').next().unwrap_or(shell))
                        && flag.starts_with('-')
                        && flag.ends_with('c') =>
                {
                    Some(script)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The keyword as messages name it: see [`shown_keyword`].
    pub fn shown_keyword(&self) -> String {
        shown_keyword(&self.keyword)
    }
}

/// Longest unknown keyword shown whole: HEALTHCHECK, the longest instruction, and a typo's byte.
const SHOWN_KEYWORD_CHARS: usize = 12;

/// A keyword as messages show it, uppercased. An unknown keyword is shown whole only when it
/// could be a misspelt instruction (letters, at most 12); otherwise only its first letters and
/// `…`: a line that lost the continuation before it starts with a value (`STRIPE_KEY=sk_live_…`,
/// a bare token), which must not reach a message, and a binary file has one long "keyword".
pub fn shown_keyword(keyword: &str) -> String {
    let letters = keyword.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == keyword.len() && letters <= SHOWN_KEYWORD_CHARS {
        return keyword.to_ascii_uppercase();
    }
    format!("{}…", keyword[..letters.min(4)].to_ascii_uppercase())
}

/// Builds an instruction from a logical line; returns it and any problems (messages).
pub fn build(text: Logical, escape: char, comments: Vec<String>) -> (Instruction, Vec<String>) {
    let line = text.text.as_str();
    let start = line.len() - line.trim_start().len();
    let end = line.trim_end().len();
    let keyword_end = line[start..end]
        .find(char::is_whitespace)
        .map_or(end, |i| start + i);
    let keyword = line[start..keyword_end].to_owned();
    let kind = Kind::parse(&keyword);
    let (raw_flags, args_rel) = lexer::extract_flags(&line[keyword_end..end], keyword_end);
    let args_start = keyword_end + args_rel;
    let args_text = line[args_start..end].trim();
    let mut errors = Vec::new();
    let args = match parse_args(kind, &text, args_start, args_text, escape) {
        Ok(args) => args,
        Err(message) => {
            errors.push(format!("{}: {message}", shown_keyword(&keyword)));
            Args::Text(args_text.to_owned())
        }
    };
    if kind == Kind::Unknown {
        errors.push(format!("unknown instruction: {}", shown_keyword(&keyword)));
    }
    let flags = raw_flags
        .into_iter()
        .map(|f| {
            let (name, value) = match f.text.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (f.text.clone(), None),
            };
            Flag {
                name,
                value,
                offset: text.file_offset(f.start),
            }
        })
        .collect();
    let offset = text.file_offset(start);
    let instruction = Instruction {
        kind,
        keyword,
        text,
        offset,
        flags,
        args,
        heredocs: Vec::new(),
        comments,
    };
    if let Args::Onbuild(inner) = &instruction.args
        && matches!(inner.kind, Kind::Onbuild | Kind::From | Kind::Maintainer)
    {
        errors.push(format!(
            "{} isn't allowed as an ONBUILD trigger",
            inner.keyword
        ));
    }
    (instruction, errors)
}

fn parse_args(
    kind: Kind,
    text: &Logical,
    base: usize,
    args: &str,
    escape: char,
) -> Result<Args, String> {
    let word = |raw: &RawWord| to_word(raw, text, escape);
    match kind {
        Kind::Env | Kind::Label => parse_name_val(text, base, args, escape),
        Kind::Arg => Ok(Args::KeyValues(
            lexer::parse_words(args, base, escape)
                .iter()
                .map(|w| split_key_value(w, text, escape))
                .collect(),
        )),
        Kind::Run | Kind::Cmd | Kind::Entrypoint | Kind::Shell => {
            parse_command(args).map(Args::Command)
        }
        Kind::Healthcheck => parse_healthcheck(args),
        Kind::Copy | Kind::Add => {
            let mut words: Vec<Word> = match parse_json_strings(args)? {
                Some(list) => list
                    .into_iter()
                    .map(|value| Word {
                        value,
                        has_reference: false,
                        offset: text.file_offset(base),
                    })
                    .collect(),
                None => lexer::split_whitespace(args, base)
                    .iter()
                    .map(word)
                    .collect(),
            };
            let Some(dest) = words.pop().filter(|_| !words.is_empty()) else {
                return Err("requires at least two arguments".into());
            };
            Ok(Args::Paths {
                sources: words,
                dest,
            })
        }
        Kind::From => {
            let words = lexer::split_whitespace(args, base);
            match words.as_slice() {
                [image] => Ok(Args::From {
                    image: word(image),
                    name: None,
                }),
                [image, as_, name] if as_.raw.eq_ignore_ascii_case("as") => Ok(Args::From {
                    image: word(image),
                    name: Some(word(name)),
                }),
                _ => Err("expects an image and an optional AS name".into()),
            }
        }
        Kind::Onbuild => {
            if args.is_empty() {
                return Err("requires an instruction".into());
            }
            let (inner, errors) = build(text.tail(base), escape, Vec::new());
            match errors.first() {
                Some(e) if inner.kind == Kind::Unknown => Err(e.clone()),
                _ => Ok(Args::Onbuild(Box::new(inner))),
            }
        }
        _ => Ok(Args::Text(args.to_owned())),
    }
}

fn to_word(raw: &RawWord, text: &Logical, escape: char) -> Word {
    let unquoted = lexer::unquote(&raw.raw, escape);
    // point at the value itself, not at its opening quote
    let quote = usize::from(raw.raw.starts_with(['"', '\'']));
    Word {
        value: unquoted.value,
        has_reference: unquoted.has_reference,
        offset: text.file_offset(raw.start + quote),
    }
}

/// `NAME` or `NAME=value` (ARG, and each pair of the `=` form of ENV/LABEL).
fn split_key_value(raw: &RawWord, text: &Logical, escape: char) -> KeyValue {
    match raw.raw.split_once('=') {
        Some((key, value)) => KeyValue {
            key: to_word(
                &RawWord {
                    raw: key.into(),
                    start: raw.start,
                },
                text,
                escape,
            ),
            value: Some(to_word(
                &RawWord {
                    raw: value.into(),
                    start: raw.start + key.len() + 1,
                },
                text,
                escape,
            )),
        },
        None => KeyValue {
            key: to_word(raw, text, escape),
            value: None,
        },
    }
}

/// BuildKit `parseNameVal`: `KEY value with spaces` (legacy) or `K=v K2="v 2"`.
fn parse_name_val(text: &Logical, base: usize, args: &str, escape: char) -> Result<Args, String> {
    let words = lexer::parse_words(args, base, escape);
    let Some(first) = words.first() else {
        return Err("requires at least one argument".into());
    };
    if !first.raw.contains('=') {
        let Some(split) = args.find(char::is_whitespace) else {
            return Err("must have two arguments".into());
        };
        let value_rel = split + (args[split..].len() - args[split..].trim_start().len());
        let key = RawWord {
            raw: args[..split].to_owned(),
            start: base,
        };
        let value = RawWord {
            raw: args[value_rel..].to_owned(),
            start: base + value_rel,
        };
        return Ok(Args::KeyValues(vec![KeyValue {
            key: to_word(&key, text, escape),
            value: Some(to_word(&value, text, escape)),
        }]));
    }
    let mut pairs = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        if !w.raw.contains('=') {
            return Err(format!(
                "word {} has no '=': must be of the form name=value",
                i + 1
            ));
        }
        pairs.push(split_key_value(w, text, escape));
    }
    Ok(Args::KeyValues(pairs))
}

/// BuildKit `parseMaybeJSON`: a JSON array of strings is exec form, anything else shell form.
fn parse_command(args: &str) -> Result<Command, String> {
    Ok(match parse_json_strings(args)? {
        Some(list) => Command::Exec(list),
        None => Command::Shell(args.to_owned()),
    })
}

/// `Some(strings)` for a JSON string array, `None` for not-JSON, an error for a JSON array with
/// other values (BuildKit rejects those). Like Go's `json.Decoder`, text after the first JSON
/// value is ignored.
fn parse_json_strings(args: &str) -> Result<Option<Vec<String>>, String> {
    if !args.starts_with('[') {
        return Ok(None);
    }
    let mut values = serde_json::Deserializer::from_str(args).into_iter::<serde_json::Value>();
    let Some(Ok(serde_json::Value::Array(items))) = values.next() else {
        return Ok(None);
    };
    items
        .into_iter()
        .map(|item| match item {
            serde_json::Value::String(s) => Ok(s),
            _ => Err("JSON arguments must be an array of strings".to_owned()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn parse_healthcheck(args: &str) -> Result<Args, String> {
    let (first, rest) = args
        .split_once(char::is_whitespace)
        .map_or((args, ""), |(f, r)| (f, r.trim()));
    if first.eq_ignore_ascii_case("none") {
        return Ok(Args::Text(args.to_owned()));
    }
    if !first.eq_ignore_ascii_case("cmd") || rest.is_empty() {
        return Err("expects NONE or CMD followed by a command".into());
    }
    parse_command(rest).map(Args::Command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(line: &str) -> Option<String> {
        let mut text = Logical::default();
        text.push(line, 0);
        let (instruction, _) = build(text, '\\', Vec::new());
        instruction.shell_script().map(str::to_owned)
    }

    #[test]
    fn the_shell_script_of_shell_and_exec_forms() {
        let cases = [
            ("RUN echo hi", Some("echo hi")),
            (r#"RUN ["/bin/bash", "-c", "echo hi"]"#, Some("echo hi")),
            (r#"RUN ["sh", "-exc", "echo hi", "arg0"]"#, Some("echo hi")),
            (r#"RUN ["npm", "-c", "x"]"#, None),
            (r#"RUN ["sh", "script.sh"]"#, None),
            (r#"RUN ["sh", "-c"]"#, None),
            ("ENV A=1", None),
        ];
        for (line, expected) in cases {
            assert_eq!(script(line).as_deref(), expected, "{line}");
        }
    }
}
