//! Every Dockerfile check: names and values, build args, content rules, RUN credentials, secret
//! files and the build context, stages, suppression.

use crate::common::{context, rule_ids, run_in, scan_text, summary};

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn row(
    rule: &str,
    severity: &str,
    line: u32,
    secret: Option<String>,
) -> (String, String, u32, Option<String>) {
    (rule.to_owned(), severity.to_owned(), line, secret)
}

#[test]
fn secret_names_and_the_value_decides_severity() {
    let report = scan_text(
        "FROM x\n\
         ENV DB_PASSWORD=postgres\n\
         ENV apiKey=Xk29vLq7TzQp4mW8\n\
         ENV SESSION_SECRET=changeme\n\
         ENV NPM_TOKEN=\n\
         ENV db.password=${DB_PW}\n\
         ENV PASSWORD_FILE=/run/secrets/db TOKEN_TTL=3600 GPG_KEY=0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D\n\
         ENV AWS_ACCESS_KEY_ID=id NODE_SHA256=abc PUBLIC_KEY=ssh-ed25519\n",
    );
    assert_eq!(
        summary(&report.findings),
        [
            row("dockerfile.secret-env", "medium", 2, s("postgres")),
            row("dockerfile.secret-env", "high", 3, s("Xk29vLq7TzQp4mW8")),
            row("dockerfile.secret-env", "low", 4, s("changeme")),
            row("dockerfile.secret-env", "low", 5, None),
            row("dockerfile.secret-env", "low", 6, None),
        ]
    );
}

#[test]
fn token_formats_under_innocent_names() {
    let report = scan_text(
        "FROM x\n\
         ENV CONFIG=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\n\
         LABEL build.note=\"glpat-VdD53X83RZJzzzzgEOzd\"\n\
         ADD https://files.example.org/pkg.tgz?token=Z8kq2LmV7xR4pW9s /tmp/\n\
         CMD [\"app\", \"--stripe=sk_live_BYOvfZ8UzDzV8fUkkibjL5DZ\"]\n\
         HEALTHCHECK CMD curl -f -u ops:Hc82kLq9vZ http://localhost/\n\
         ENV SLACK=xoxb-80588871803-340187801759-GMGmSrCGIZEG8pSH4487q7J5\n",
    );
    assert_eq!(
        rule_ids(&report),
        [
            "github.pat",
            "gitlab.pat",
            "generic.url-query-secret",
            "stripe.secret-key",
            "cli.curl-user",
            "slack.token",
        ]
    );
    let github = &report.findings[0];
    assert_eq!(github.severity.to_string(), "critical");
    assert_eq!(
        (github.location.line, github.location.column),
        (Some(2), Some(12))
    );
}

#[test]
fn build_args_recorded_in_history() {
    let report = scan_text(
        "FROM x\n\
         ARG NPM_TOKEN\n\
         ARG GITHUB_TOKEN\n\
         ARG DEPLOY_KEY=Xk29vLq7TzQp4mW8\n\
         RUN echo \"//registry.npmjs.org/:_authToken=$NPM_TOKEN\" > .npmrc && npm ci\n",
    );
    assert_eq!(
        summary(&report.findings),
        [
            row("dockerfile.secret-build-arg", "medium", 2, None),
            row("dockerfile.secret-build-arg", "low", 3, None),
            row("dockerfile.secret-arg", "high", 4, s("Xk29vLq7TzQp4mW8")),
            // and the token is in the layer's .npmrc, which no `rm` removes
            row("file.npmrc", "medium", 5, None),
        ]
    );
    assert!(report.findings[0].fix.contains("--mount=type=secret"));
}

#[test]
fn global_build_args_only_count_when_a_stage_declares_them() {
    let report =
        scan_text("ARG NPM_TOKEN\nFROM node\nARG NPM_TOKEN\nRUN npm ci --token $NPM_TOKEN\n");
    assert_eq!(
        summary(&report.findings),
        [row("dockerfile.secret-build-arg", "medium", 3, None)]
    );
}

#[test]
fn labels_with_secret_keys() {
    let report = scan_text(
        "FROM x\nLABEL deploy.token=\"Zk2m9Qx7Lp4vW8rT\" maintainer=\"ops@example.org\" api_key=changeme\n",
    );
    assert_eq!(
        summary(&report.findings),
        [row(
            "dockerfile.secret-label",
            "high",
            2,
            s("Zk2m9Qx7Lp4vW8rT")
        )]
    );
    assert_eq!(report.findings[0].location.column, Some(21));
}

#[test]
fn env_copying_a_build_arg_bakes_it_into_the_config() {
    let report = scan_text(
        "FROM x\nARG master_key\nENV RAILS_MASTER_KEY=$master_key\nARG PORT\nENV PORT=$PORT\n\
         ARG NPM_TOKEN\nENV PRIVATE_REGISTRY=${NPM_TOKEN:+yes} SET=${NPM_TOKEN+1}\n\
         ENV TOKEN_OR=${NPM_TOKEN:-none}\n",
    );
    // `${NPM_TOKEN:+yes}` gives `yes`, never the token; `${NPM_TOKEN:-none}` gives the token
    assert_eq!(
        summary(&report.findings),
        [
            row("dockerfile.secret-build-arg", "low", 2, None),
            row("dockerfile.secret-arg-to-env", "medium", 3, None),
            row("dockerfile.secret-build-arg", "low", 6, None),
            row("dockerfile.secret-arg-to-env", "medium", 8, None),
        ]
    );
}

#[test]
fn credentials_in_run() {
    let report = scan_text(
        "FROM x\n\
         RUN curl -u deploy:Zq81xkP2vw https://repo/x\n\
         RUN mysql -uroot -pR00tPw9x -e 'select 1'\n\
         RUN docker login -u ci -p dckr9Xk2mLq registry.example.org\n\
         RUN sshpass -p Tq7mW2vLx ssh host true\n\
         RUN echo 'machine github.com login ci password 9hQ2vLm8Xc' > ~/.netrc\n\
         RUN git clone https://ci:Qm2x9Lw7vKp@git.example.org/app.git\n\
         RUN export API_TOKEN=Zk2m9Qx7Lp4vW8rT && ./deploy\n\
         RUN echo '//npm.pkg.github.com/:_authToken=a8f3k2m9q7w1z5x4' > .npmrc\n\
         RUN echo '{\"auths\":{\"r.io\":{\"auth\":\"Y2k6ZGNrcjlYazJtTHE=\"}}}' > /root/.docker/config.json\n",
    );
    assert_eq!(
        rule_ids(&report),
        [
            "cli.curl-user",
            "cli.mysql-password",
            "cli.registry-login",
            "cli.sshpass",
            "cli.netrc-password",
            "generic.url-credentials",
            "dockerfile.run-secret-assignment",
            "npm.npmrc-auth",
            "cli.docker-config-auth",
        ]
    );
}

/// More command-line shapes, each with its literal at the reported line, one finding each (a
/// generic rule yields where a specific one holds the same value).
#[test]
fn more_credentials_in_run() {
    let report = scan_text(
        "FROM x\n\
         RUN echo \"mariadb-server mysql-server/root_password password Qw7rT2xP9zLk\" | debconf-set-selections\n\
         RUN echo 'root:Qw7rT2xP9zLa' | chpasswd\n\
         RUN useradd -m -p \"$(openssl passwd -1 Qw7rT2xP9zLb)\" bob\n\
         RUN curl -H \"Authorization: Bearer Zk9qW2xR7tLm4pV8sN3bC6yH\" https://api.internal/x\n\
         RUN htpasswd -bc /etc/nginx/.htpasswd admin Qw7rT2xP9zLc\n\
         RUN printf '[client]\\npassword=Qw7rT2xP9zLd\\n' > /root/.my.cnf\n\
         RUN redis-cli -h cache -a Qw7rT2xP9zLe ping\n\
         RUN keytool -genkey -keystore ks.jks -storepass Qw7rT2xP9zLf -dname CN=x\n\
         RUN openssl req -x509 -passout pass:Qw7rT2xP9zLg -keyout k.pem -out c.pem\n\
         RUN mongosh --username admin --password Qw7rT2xP9zLh admin\n\
         RUN mysql -uroot --password=Qw7rT2xP9zLi -e 'select 1'\n\
         RUN echo \"root:$ROOT_PW\" | chpasswd && redis-cli -a \"$REDIS_PW\" ping\n",
    );
    let found: Vec<(String, String, u32, Option<String>)> = summary(&report.findings);
    let secret = |c: char| s(&format!("Qw7rT2xP9zL{c}"));
    assert_eq!(
        found,
        [
            row("cli.debconf-password", "high", 2, s("Qw7rT2xP9zLk")),
            row("cli.chpasswd", "high", 3, secret('a')),
            row("cli.openssl-pass", "high", 4, secret('b')),
            row(
                "generic.authorization-header",
                "high",
                5,
                s("Zk9qW2xR7tLm4pV8sN3bC6yH")
            ),
            row("cli.htpasswd", "high", 6, secret('c')),
            row("generic.password-assignment", "high", 7, secret('d')),
            row("cli.redis-password", "high", 8, secret('e')),
            row("generic.password-flag", "high", 9, secret('f')),
            row("cli.openssl-pass", "high", 10, secret('g')),
            row("generic.password-flag", "high", 11, secret('h')),
            row("cli.mysql-password", "high", 12, secret('i')),
        ]
    );
}

#[test]
fn secret_mounts_and_references_are_not_flagged() {
    let report = scan_text(
        "FROM x\n\
         RUN --mount=type=secret,id=npm,target=/root/.npmrc npm ci\n\
         RUN --mount=type=secret,id=tok TOKEN=$(cat /run/secrets/tok) ./publish\n\
         RUN export GITHUB_TOKEN=\"$GH_TOKEN\" && mysql -p\"$MYSQL_PASSWORD\" -e 'x'\n\
         RUN curl -u \"ci:${PASSWORD}\" https://x/ && git clone https://ci:${TOKEN}@host/r.git\n\
         ENV PASSWORD_FILE=/run/secrets/db\n",
    );
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn secret_files_copied_in() {
    let report = scan_text(
        "FROM x\n\
         COPY id_rsa /root/.ssh/id_rsa\n\
         COPY .env.production ./\n\
         ADD config/master.key /app/config/\n\
         COPY secrets.txt /root/.aws/credentials\n\
         COPY .env.example ./\n\
         COPY --from=build /out/app /app\n\
         ADD https://download.example.org/Release.key /etc/apt/release.key\n",
    );
    assert_eq!(
        summary(&report.findings),
        [
            row("file.ssh-private-key", "high", 2, None),
            row("file.dotenv", "medium", 3, None),
            row("file.rails-master-key", "critical", 4, None),
            row("file.aws-credentials", "high", 5, None),
        ]
    );
}

#[test]
fn build_context_and_dockerignore() {
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM x\nCOPY . /app\nCOPY --exclude=**/*.pem conf/ /conf/\n",
        ),
        (
            ".dockerignore",
            "# local junk\n*.log\n.git\nsecrets/\n!secrets/public.txt\n",
        ),
        (".env", "A=1"),
        ("app.log", "x"),
        (".git/config", "[core]"),
        ("secrets/id_rsa", "x"),
        ("secrets/public.txt", "x"),
        ("conf/.npmrc", "x"),
        ("conf/server-key.pem", "x"),
        ("src/main.py", "print()"),
    ]);
    let run = run_in(ctx.path(), &["scan", "Dockerfile", "--format", "json"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let found: Vec<(String, String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["location"]["path"].as_str().unwrap().to_owned(),
                f["location"]["instruction_line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("file.dotenv".to_owned(), "./.env".to_owned(), 2),
            ("file.npmrc".to_owned(), "./conf/.npmrc".to_owned(), 2),
            (
                "file.private-key".to_owned(),
                "./conf/server-key.pem".to_owned(),
                2
            ),
            ("file.npmrc".to_owned(), "./conf/.npmrc".to_owned(), 3),
        ]
    );
    assert!(json["findings"][0]["location"]["line"].is_null());
    assert_eq!(json["findings"][0]["location"]["kind"], "context");
    let off = run_in(ctx.path(), &["scan", "Dockerfile", "--no-context"], b"");
    assert_eq!(off.code, 0, "{}", off.stdout);
}

#[test]
fn dockerfile_specific_dockerignore_wins() {
    let ctx = context(&[
        ("build/app.Dockerfile", "FROM x\nCOPY . /app\n"),
        ("build/app.Dockerfile.dockerignore", ".env\n"),
        ("build/.dockerignore", ""),
        ("build/.env", "A=1"),
    ]);
    let run = run_in(ctx.path(), &["scan", "build/app.Dockerfile"], b"");
    assert_eq!(run.code, 0, "{}", run.stdout);
    std::fs::remove_file(ctx.path().join("build/app.Dockerfile.dockerignore")).unwrap();
    let run = run_in(ctx.path(), &["scan", "build/app.Dockerfile"], b"");
    assert_eq!(run.code, 1, "{}", run.stdout);
}

#[test]
fn stages_lower_discarded_builders() {
    let report = scan_text(
        "ARG GLOBAL_TOKEN=Xk29vLq7TzQp4mW8\n\
         FROM golang AS build\n\
         ENV GITHUB_TOKEN=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\n\
         FROM build AS test\n\
         ENV API_KEY=Xk29vLq7TzQp4mW9\n\
         FROM alpine AS final\n\
         COPY --from=build /app /app\n",
    );
    let stages: Vec<(Option<&str>, Option<bool>, String)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.location.stage.as_deref(),
                f.location.in_final_image,
                f.severity.to_string(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            (None, None, "high".to_owned()),
            (Some("build"), Some(false), "high".to_owned()),
            (Some("test"), Some(false), "medium".to_owned()),
        ]
    );
    let targeted = {
        let rules = stowaway::RuleSet::builtin().unwrap();
        let options = stowaway::Options {
            context: stowaway::ContextChoice::Off,
            target: Some("test".into()),
            ..stowaway::Options::default()
        };
        let text = "FROM golang AS build\nENV GITHUB_TOKEN=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\nFROM build AS test\nFROM alpine\n";
        stowaway::scan(
            vec![stowaway::Input::stdin_bytes(text.into())],
            &rules,
            &options,
        )
    };
    assert_eq!(targeted.findings[0].location.in_final_image, Some(true));
    assert_eq!(targeted.findings[0].severity.to_string(), "critical");
}

/// A file a builder stage leaves where a `COPY --from` of the final image takes it is in the
/// final image: its finding is not lowered; one outside what is copied, or removed by a later
/// `RUN` of the builder, is.
#[test]
fn a_builder_file_a_copy_from_carries_is_not_lowered() {
    let report = scan_text(
        "FROM node:20 AS build\n\
         WORKDIR /app\n\
         RUN echo \"//registry.npmjs.org/:_authToken=$NPM_TOKEN\" > .npmrc && npm ci\n\
         RUN echo \"$NPM_TOKEN\" > /tmp/token\n\
         RUN echo \"$GITHUB_TOKEN\" > /app/.gh-token && go mod download\n\
         RUN rm -f .gh-token\n\
         FROM node:20-slim\n\
         COPY --from=build /app /srv/app\n",
    );
    let rows: Vec<(u32, Option<bool>, String)> = report
        .findings
        .iter()
        .map(|f| {
            let line = f.location.line.unwrap();
            (line, f.location.in_final_image, f.severity.to_string())
        })
        .collect();
    assert_eq!(
        rows,
        [
            (3, Some(true), "medium".to_owned()),
            (4, Some(false), "low".to_owned()),
            (5, Some(false), "low".to_owned()),
        ],
        "{:#?}",
        report.findings
    );
    assert!(
        report.findings[0]
            .message
            .contains("the COPY --from on line 8 carries the file into the final image"),
        "{}",
        report.findings[0].message
    );
}

#[test]
fn suppression_inline_and_buildkit_check_skip() {
    let report = scan_text(
        "FROM x\n\
         # stowaway:ignore\n\
         ENV DB_PASSWORD=postgres\n\
         # stowaway:ignore=github.pat\n\
         ENV A=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 B_PASSWORD=hunter22\n\
         # stowaway:ignore=some.other-rule\n\
         ENV C_PASSWORD=hunter23\n\
         # stowaway:ignore\n\
         \n\
         ENV D_PASSWORD=hunter24\n",
    );
    assert_eq!(
        summary(&report.findings),
        [
            row("dockerfile.secret-env", "medium", 5, s("hunter22")),
            row("dockerfile.secret-env", "medium", 7, s("hunter23")),
            row("dockerfile.secret-env", "medium", 10, s("hunter24")),
        ]
    );
    let reasons: Vec<&str> = report
        .suppressed
        .iter()
        .map(|s| s.reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "inline # stowaway:ignore",
            "inline # stowaway:ignore=github.pat"
        ]
    );

    let skipped = scan_text(
        "# check=skip=SecretsUsedInArgOrEnv\nFROM x\nENV DB_PASSWORD=postgres\nARG NPM_TOKEN\nENV T=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\n",
    );
    assert_eq!(rule_ids(&skipped), ["github.pat"]);
    assert_eq!(skipped.suppressed.len(), 2);
}

#[test]
fn onbuild_triggers_are_checked() {
    let report =
        scan_text("FROM x\nONBUILD ENV GITHUB_TOKEN=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\n");
    assert_eq!(
        summary(&report.findings),
        [row(
            "github.pat",
            "critical",
            2,
            s("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")
        )]
    );
    assert_eq!(report.findings[0].location.column, Some(26));
}

#[test]
fn fingerprints_survive_moved_lines() {
    let a = scan_text("FROM x\nENV GITHUB_TOKEN=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\n");
    let b = scan_text(
        "FROM x\nRUN true\n\nENV GITHUB_TOKEN=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\n",
    );
    assert_eq!(a.findings[0].fingerprint, b.findings[0].fingerprint);
    let c = scan_text("FROM x\nENV GITHUB_TOKEN=ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8024xXI\n");
    assert_ne!(a.findings[0].fingerprint, c.findings[0].fingerprint);
}

#[test]
fn a_secret_repeated_in_one_instruction_is_one_finding() {
    // regression: 200k copies on one line took minutes in release (per-finding copies of the whole line,
    // quadratic overlap resolution and redaction)
    let line = vec!["password=Zk2m9Qx7Lp4vW8rT"; 50_000].join(" ");
    let report = scan_text(&format!("FROM x\nRUN {line}\n"));
    assert_eq!(rule_ids(&report), ["dockerfile.run-secret-assignment"]);
    let shown = report.findings[0].location.instruction.as_deref().unwrap();
    assert!(
        shown.chars().count() <= 402 && shown.ends_with(" …"),
        "{shown}"
    );
}

#[test]
fn findings_per_instruction_are_capped_and_the_cap_is_an_error() {
    let line: Vec<String> = (0..1500)
        .map(|i| format!("token={i:04}Zk2m9Qx7Lp4vW8rT"))
        .collect();
    let report = scan_text(&format!("FROM x\nRUN {}\n", line.join(" ")));
    assert_eq!(report.findings.len(), 1000);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].message.contains("more than 1000 findings"));
    assert_eq!(report.errors[0].line, Some(2));
}

#[test]
fn a_binary_file_or_a_huge_line_makes_a_bounded_number_of_short_errors() {
    // a binary (or compressed) file given as a Dockerfile: one unknown instruction per line
    let lines: Vec<String> = (0..500)
        .map(|i| format!("\u{1}\u{2}garbage{i} x"))
        .collect();
    let mut text = lines.join("\n");
    text.push_str("\nENV AWS_SECRET_ACCESS_KEY=TOlUcR64cXQLioDnkHIfxIq2HZt+PlJhx2jIclHk\n");
    let report = scan_text(&text);
    assert_eq!(report.errors.len(), 101, "{:?}", report.errors.last());
    let last = report
        .errors
        .iter()
        .find(|e| e.message.contains("more parse"));
    let last = last.expect("the rest are counted");
    assert_eq!(
        last.message,
        "400 more parse errors from here on, not reported"
    );
    assert_eq!(last.line, Some(101));
    // what parses is still checked
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule_id.starts_with("aws."))
    );
    // a 1 MiB line is one error, and a short one
    let report = scan_text(&format!("FROM x\n{}\n", "X".repeat(1 << 20)));
    assert_eq!(report.errors.len(), 1);
    let message = &report.errors[0].message;
    assert_eq!(message, "unknown instruction: XXXX…");
    let report = scan_text(&format!("FROM x\nRUN cat <<{}\n", "E".repeat(1 << 20)));
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].message.chars().count() <= 201);
    assert!(
        report.errors[0]
            .message
            .starts_with("unterminated heredoc <<EEE")
    );
}

#[test]
fn long_stage_chains_reach_the_final_image() {
    let mut text = String::from("FROM alpine AS s0\n");
    for i in 1..5000 {
        text.push_str(&format!(
            "FROM s{} AS s{i}\nARG TOKEN_{i}\nRUN use $TOKEN_{i}\n",
            i - 1
        ));
    }
    let report = scan_text(&text);
    assert_eq!(report.findings.len(), 4999);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.location.in_final_image == Some(true))
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.severity.to_string() == "medium")
    );
}

#[test]
fn a_100_mb_line_and_a_never_ending_continuation_do_not_hide_what_follows() {
    let huge = "a".repeat(100 << 20);
    let report = scan_text(&format!(
        "FROM x\nRUN echo {huge}\nENV GITHUB_TOKEN=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\n"
    ));
    assert_eq!(rule_ids(&report), ["github.pat"]);
    assert_eq!(report.findings[0].location.line, Some(3));
    // A continuation that never ends runs to the end of the file, as in BuildKit.
    let endless = "b \\\n".repeat(1 << 20);
    let report = scan_text(&format!(
        "FROM x\nENV GITHUB_TOKEN=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\nRUN echo \\\n{endless}"
    ));
    assert_eq!(rule_ids(&report), ["github.pat"]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

#[test]
fn a_dockerfile_of_countless_secrets_is_capped_and_says_so() {
    let mut text = String::from("FROM alpine\n");
    for i in 0..10_050 {
        text.push_str(&format!("ENV API_TOKEN_{i}=Qw8zLm3Nv6Xc1Rt5Yb{i:06}\n"));
    }
    let report = crate::common::scan_text(&text);
    assert_eq!(report.findings.len(), 10_000);
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0]
            .message
            .contains("more than 10000 findings in this Dockerfile")
    );
    assert_eq!(report.errors[0].line, Some(10_002));
}

/// `${VAR:-default}`: BuildKit and the shell use the default when the variable is unset, so a
/// literal default is the secret (not `-default`, as the `:` separator once made it).
#[test]
fn a_literal_default_of_a_variable_is_the_secret() {
    let report = scan_text(
        "FROM x\n\
         ENV DB_PASSWORD=${DB_PASSWORD:-S3cretDefault9q}\n\
         RUN API_TOKEN=\"${API_TOKEN:-Tz4kQ9mW2xLp8vR3}\" ./deploy\n",
    );
    let found = summary(&report.findings);
    let secrets: Vec<(u32, Option<String>)> = found
        .iter()
        .map(|(_, _, line, secret)| (*line, secret.clone()))
        .collect();
    assert!(secrets.contains(&(2, s("S3cretDefault9q"))), "{found:?}");
    assert!(secrets.contains(&(3, s("Tz4kQ9mW2xLp8vR3"))), "{found:?}");
    assert!(
        found
            .iter()
            .all(|(_, _, _, secret)| secret.as_deref().is_none_or(|v| !v.starts_with('-')))
    );
}

/// The findings of secret files a `RUN` writes: path rules and `dockerfile.run-writes-secret`.
fn written(report: &stowaway::Report) -> Vec<(String, String, u32, Option<String>)> {
    summary(&report.findings)
        .into_iter()
        .filter(|(rule, ..)| rule.starts_with("file.") || rule == "dockerfile.run-writes-secret")
        .collect()
}

#[test]
fn secret_files_a_run_writes_into_its_layer() {
    let report = scan_text(
        "FROM alpine\n\
         ARG SSH_PRIVATE_KEY\n\
         RUN mkdir -p /root/.ssh && echo \"${SSH_PRIVATE_KEY}\" > /root/.ssh/id_rsa && git clone git@host:x\n\
         RUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc > /app/.npmrc && npm ci\n\
         RUN echo \"//registry.npmjs.org/:_authToken=$NPM_TOKEN\" | tee -a ~/.npmrc\n\
         RUN echo \"$DEPLOY_KEY\" > ~/.ssh/id_ed25519 && git pull && rm -f ~/.ssh/id_ed25519\n\
         RUN echo \"registry=$REGISTRY\" > .npmrc && echo 'sass_binary_site=x' >> ~/.npmrc\n\
         RUN echo \"echo \\\"$PW\\\" > ~/.my.cnf\" > /start.sh\n\
         RUN cat <<EOF > /root/.npmrc\n\
         //registry.npmjs.org/:_authToken=${NPM_TOKEN}\n\
         EOF\n\
         RUN cat <<'EOF' > /app/.npmrc\n\
         //registry.npmjs.org/:_authToken=${NPM_TOKEN}\n\
         EOF\n\
         RUN echo \"export NPM_TOKEN=$NPM_TOKEN\" >> ~/.bashrc\n\
         RUN --mount=type=secret,id=t cat /run/secrets/t >> /etc/environment\n\
         RUN sed -i \"s/@TOKEN@/$API_TOKEN/\" /app/config.js\n\
         RUN echo 'env[S] = $FB_SECRET' >> /etc/php/www.conf && echo \"$API_TOKEN\" > /dev/null\n",
    );
    let writes = written(&report);
    assert_eq!(
        writes,
        [
            row("file.ssh-private-key", "high", 3, None),
            row("file.npmrc", "medium", 4, None),
            row("file.npmrc", "medium", 5, None),
            // the heredoc's expansion is written; a quoted one writes the text `${NPM_TOKEN}`
            row("file.npmrc", "medium", 9, None),
            // other files: a shell profile, /etc/environment, a file edited in place; not a
            // single-quoted `$FB_SECRET` (expanded later, by php-fpm), not /dev/null
            row("dockerfile.run-writes-secret", "medium", 15, None),
            row("dockerfile.run-writes-secret", "high", 16, None),
            row("dockerfile.run-writes-secret", "medium", 17, None),
        ]
    );
    let first = report
        .findings
        .iter()
        .find(|f| f.rule_id == "file.ssh-private-key")
        .unwrap();
    assert!(
        first
            .message
            .contains("$SSH_PRIVATE_KEY into /root/.ssh/id_rsa"),
        "{}",
        first.message
    );
    assert_eq!(first.location.column, Some(56), "the target's column");
}

/// Dockerfile syntax 1.10 hands a build secret to a `RUN` as a variable
/// (`--mount=type=secret,id=gh,env=GH_PAT`): writing that variable into a file writes the
/// secret, whatever the variable's name; using it is no finding.
#[test]
fn a_secret_mounted_as_a_variable_and_written_is_a_build_secret() {
    let report = scan_text(
        "FROM alpine\n\
         RUN --mount=type=secret,id=gh,env=GH_PAT gh auth status\n\
         RUN --mount=type=secret,id=gh,env=GH_PAT echo \"$GH_PAT\" > /app/token.txt\n\
         RUN --mount=type=secret,id=cfg,env=SETTINGS printf '%s' \"$SETTINGS\" > /etc/app.conf\n\
         RUN --mount=type=cache,target=/x,env=CACHE echo \"$CACHE\" > /etc/cache.conf\n",
    );
    let writes = written(&report);
    assert_eq!(
        writes,
        [
            row("dockerfile.run-writes-secret", "high", 3, None),
            row("dockerfile.run-writes-secret", "high", 4, None),
        ]
    );
}

#[test]
fn a_number_is_a_password_but_not_a_token() {
    let text = "FROM x\n\
         ARG ROOT_PASSWORD=123456\n\
         ENV DB_PASSWORD=\"123456\" TOKEN_TTL=3600 API_KEY=12345 SESSION_TIMEOUT=30\n\
         RUN export PGPASSWORD=5432 && psql\n";
    let report = scan_text(text);
    assert_eq!(
        summary(&report.findings),
        [
            row("dockerfile.secret-arg", "medium", 2, s("123456")),
            row("dockerfile.secret-env", "medium", 3, s("123456")),
            row("dockerfile.run-secret-assignment", "medium", 4, s("5432")),
        ]
    );
    // the weak value "password" elsewhere in the run does not garble our words
    let dir = context(&[(
        "Dockerfile",
        &format!("{text}ENV ADMIN_PASSWORD=password\n"),
    )]);
    let out = run_in(dir.path(), &["scan", "Dockerfile", "--format", "json"], b"");
    assert!(
        out.stdout.contains("hard-coded password-like value"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("123456"), "{}", out.stdout);
}
