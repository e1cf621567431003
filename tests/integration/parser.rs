//! Every syntax form of BuildKit's parser that the issue lists, with positions.

use stowaway::dockerfile::{Args, Command, Dockerfile, Kind, parse};

fn parsed(text: &str) -> Dockerfile {
    parse(text.to_owned())
}

fn kinds(df: &Dockerfile) -> Vec<Kind> {
    df.instructions.iter().map(|i| i.kind).collect()
}

fn pairs(df: &Dockerfile, index: usize) -> Vec<(String, Option<String>)> {
    match &df.instructions[index].args {
        Args::KeyValues(kv) => kv
            .iter()
            .map(|p| {
                (
                    p.key.value.clone(),
                    p.value.as_ref().map(|v| v.value.clone()),
                )
            })
            .collect(),
        other => panic!("not key/values: {other:?}"),
    }
}

#[test]
fn directives_only_at_the_top() {
    let df = parsed(
        "# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM x\n# escape=\\\nRUN a `\n  b\n",
    );
    assert_eq!(df.directives.syntax.as_deref(), Some("docker/dockerfile:1"));
    assert_eq!(df.directives.escape, '`');
    assert_eq!(df.directives.check.as_deref(), Some("skip=all"));
    assert_eq!(df.instructions[1].text.text, "RUN a   b");
    let late = parsed("FROM x\n# escape=`\nRUN a `\n");
    assert_eq!(late.directives.escape, '\\');
}

#[test]
fn bom_crlf_and_case_insensitive_keywords() {
    let df = parsed("\u{feff}from alpine\r\nRun echo hi\r\nenv A=1\r\n");
    assert_eq!(kinds(&df), [Kind::From, Kind::Run, Kind::Env]);
    assert_eq!(df.instructions[1].keyword, "Run");
    assert_eq!(pairs(&df, 2), [("A".to_owned(), Some("1".to_owned()))]);
    assert!(df.errors.is_empty());
}

#[test]
fn comments_and_blank_lines_inside_continuations() {
    let text = "FROM x\nRUN apt-get update && \\\n    # a comment\n\n    apt-get install -y curl \\\n  # another\n    && true\nUSER app\n";
    let df = parsed(text);
    assert_eq!(kinds(&df), [Kind::From, Kind::Run, Kind::User]);
    let run = &df.instructions[1];
    assert_eq!(
        run.text.text,
        "RUN apt-get update &&     apt-get install -y curl     && true"
    );
    let curl = run.text.text.find("curl").unwrap();
    let pos = df.position(run.text.file_offset(curl));
    assert_eq!((pos.line, pos.column), (5, 24));
    assert_eq!(df.position(df.instructions[2].offset).line, 8);
}

#[test]
fn exec_form_and_shell_form() {
    let df = parsed("FROM x\nCMD [\"a\", \"b c\"]\nENTRYPOINT echo [not json\nRUN [\"sh\", 1]\n");
    assert_eq!(
        df.instructions[1].args,
        Args::Command(Command::Exec(vec!["a".into(), "b c".into()]))
    );
    assert_eq!(
        df.instructions[2].args,
        Args::Command(Command::Shell("echo [not json".into()))
    );
    assert_eq!(
        df.errors.len(),
        1,
        "a JSON array of non-strings is an error"
    );
    assert_eq!(df.errors[0].line, 4);
}

#[test]
fn escaped_escape_does_not_continue_and_json_ignores_trailing_text() {
    let df = parsed("FROM x\nRUN echo a\\\\\nUSER u\nCMD [\"run\"] trailing\n");
    assert_eq!(kinds(&df), [Kind::From, Kind::Run, Kind::User, Kind::Cmd]);
    assert_eq!(
        df.instructions[3].args,
        Args::Command(Command::Exec(vec!["run".into()]))
    );
}

#[test]
fn onbuild_triggers_can_carry_heredocs() {
    let df = parsed("FROM x\nONBUILD RUN <<EOF\nexport TOKEN=abc\nEOF\nUSER u\n");
    assert_eq!(kinds(&df), [Kind::From, Kind::Onbuild, Kind::User]);
    assert_eq!(df.instructions[1].heredocs[0].body, "export TOKEN=abc\n");
}

#[test]
fn flags_keep_repeated_mounts() {
    let df = parsed(
        "FROM x\nRUN --mount=type=secret,id=a --mount=type=cache,target=/c --network=none make\n",
    );
    let run = &df.instructions[1];
    let mounts: Vec<&str> = run.flag_values("mount").collect();
    assert_eq!(mounts, ["type=secret,id=a", "type=cache,target=/c"]);
    assert_eq!(run.args, Args::Command(Command::Shell("make".into())));
    assert_eq!(df.position(run.flags[1].offset).column, 30);
}

#[test]
fn heredocs_of_every_shape() {
    let text = "FROM x\nRUN <<EOF\necho one\nEOF\nRUN python3 <<'PY'\nprint('$HOME')\nPY\nCOPY <<EOF /etc/motd\nhello\nEOF\nRUN <<A cat - <<-B\na\nA\n\tb\n\tB\nUSER u\n";
    let df = parsed(text);
    assert_eq!(
        kinds(&df),
        [
            Kind::From,
            Kind::Run,
            Kind::Run,
            Kind::Copy,
            Kind::Run,
            Kind::User
        ]
    );
    let bodies = |i: usize| -> Vec<(String, bool, bool, String)> {
        df.instructions[i]
            .heredocs
            .iter()
            .map(|h| (h.name.clone(), h.expand, h.chomp, h.body.clone()))
            .collect()
    };
    assert_eq!(
        bodies(1),
        [("EOF".into(), true, false, "echo one\n".into())]
    );
    assert_eq!(
        bodies(2),
        [("PY".into(), false, false, "print('$HOME')\n".into())]
    );
    assert_eq!(bodies(3), [("EOF".into(), true, false, "hello\n".into())]);
    assert_eq!(
        bodies(4),
        [
            ("A".into(), true, false, "a\n".into()),
            ("B".into(), true, true, "\tb\n".into())
        ]
    );
    let heredoc = &df.instructions[2].heredocs[0];
    assert_eq!(df.position(heredoc.offset).line, 6);
    assert!(df.errors.is_empty());
}

#[test]
fn unterminated_heredoc_is_an_error_and_keeps_its_body() {
    let df = parsed("FROM x\nRUN <<EOF\nexport TOKEN=abc\n");
    assert_eq!(df.errors.len(), 1);
    assert!(df.errors[0].message.contains("unterminated heredoc"));
    assert_eq!(df.instructions[1].heredocs[0].body, "export TOKEN=abc\n");
}

#[test]
fn env_both_forms_with_positions() {
    let df = parsed("FROM x\nENV A=1 B=\"v 2\" C='x y' D=a\\ b\nENV LEGACY some value here\n");
    assert_eq!(
        pairs(&df, 1),
        [
            ("A".to_owned(), Some("1".to_owned())),
            ("B".to_owned(), Some("v 2".to_owned())),
            ("C".to_owned(), Some("x y".to_owned())),
            ("D".to_owned(), Some("a b".to_owned())),
        ]
    );
    assert_eq!(
        pairs(&df, 2),
        [("LEGACY".to_owned(), Some("some value here".to_owned()))]
    );
    let Args::KeyValues(kv) = &df.instructions[1].args else {
        unreachable!()
    };
    let b = df.position(kv[1].value.as_ref().unwrap().offset);
    assert_eq!((b.line, b.column), (2, 12), "the value, after its quote");
    let key = df.position(kv[1].key.offset);
    assert_eq!((key.line, key.column), (2, 9));
}

#[test]
fn env_errors_are_reported_and_parsing_goes_on() {
    let df = parsed("FROM x\nENV A=1 B\nENV ONLYKEY\nBOGUS thing\nUSER u\n");
    let lines: Vec<u32> = df.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 3, 4]);
    assert!(df.errors[2].message.contains("unknown instruction: BOGUS"));
    assert_eq!(df.instructions.last().unwrap().kind, Kind::User);
}

#[test]
fn arg_with_several_names_and_defaults() {
    let df = parsed("ARG A B=2 C=\"x y\"\nFROM x\n");
    assert_eq!(
        pairs(&df, 0),
        [
            ("A".to_owned(), None),
            ("B".to_owned(), Some("2".to_owned())),
            ("C".to_owned(), Some("x y".to_owned())),
        ]
    );
}

#[test]
fn label_forms() {
    let df = parsed(
        "FROM x\nLABEL \"com.example.vendor\"=\"ACME Inc\" version=1.0\nLABEL legacy value\n",
    );
    assert_eq!(
        pairs(&df, 1),
        [
            ("com.example.vendor".to_owned(), Some("ACME Inc".to_owned())),
            ("version".to_owned(), Some("1.0".to_owned())),
        ]
    );
    assert_eq!(
        pairs(&df, 2),
        [("legacy".to_owned(), Some("value".to_owned()))]
    );
}

#[test]
fn onbuild_wraps_an_instruction() {
    let df = parsed("FROM x\nONBUILD ENV TOKEN=abc\nONBUILD RUN make\n");
    let Args::Onbuild(inner) = &df.instructions[1].args else {
        panic!("not onbuild")
    };
    assert_eq!(inner.kind, Kind::Env);
    let Args::KeyValues(kv) = &inner.args else {
        panic!("not env")
    };
    assert_eq!(df.position(kv[0].value.as_ref().unwrap().offset).column, 19);
    assert!(df.errors.is_empty());
}

#[test]
fn multi_stage_from_as() {
    let df = parsed(
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nFROM scratch as final\nFROM build\n",
    );
    let names: Vec<Option<String>> = df
        .instructions
        .iter()
        .map(|i| match &i.args {
            Args::From { name, .. } => name.as_ref().map(|n| n.value.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(names, [Some("build".into()), Some("final".into()), None]);
    assert_eq!(
        df.instructions[0].flag_values("platform").next(),
        Some("$BUILDPLATFORM")
    );
}

#[test]
fn copy_and_add_paths() {
    let df = parsed(
        "FROM x\nCOPY --chown=1:1 [\"a b\", \"/dst/\"]\nADD https://example.org/f.tgz ./src /opt/\n",
    );
    let Args::Paths { sources, dest } = &df.instructions[1].args else {
        panic!()
    };
    assert_eq!(sources[0].value, "a b");
    assert_eq!(dest.value, "/dst/");
    let Args::Paths { sources, dest } = &df.instructions[2].args else {
        panic!()
    };
    assert_eq!(sources.len(), 2);
    assert_eq!(dest.value, "/opt/");
}

#[test]
fn garbage_never_panics() {
    let mut noise = Vec::new();
    for i in 0..20_000u32 {
        noise.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
    }
    let df = Dockerfile::from_bytes(&noise);
    assert!(df.instructions.len() + df.errors.len() > 0);
    for text in [
        "RUN \\",
        "\\",
        "RUN <<",
        "ENV",
        "ONBUILD",
        "FROM",
        "COPY <<EOF",
        "\u{feff}",
        "HEALTHCHECK",
        "RUN [\"a\"",
        "# escape=`\nRUN a`",
    ] {
        let _ = parsed(text);
    }
}
