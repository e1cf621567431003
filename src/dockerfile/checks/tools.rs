//! Tools that keep what they are given in a file: `npm config set`, `git config --global`,
//! `docker login`, `aws configure set`, `composer config -g github-oauth.…`, `cargo login`…
//! A `RUN` that hands one a build secret or a secret-named variable leaves the value in that
//! file, in the layer, however carefully it arrived (`--mount=type=secret,env=NPM_TOKEN` then
//! `npm config set //registry.npmjs.org/:_authToken $NPM_TOKEN`). Each tool's file is the one
//! its documentation names for a root build (`~` is `/root`), chosen by the flags that move it
//! (`--global`, `--location=project`, `--file F`). [`super::writes`] judges the source and
//! whether a later command of the same `RUN` undoes the write.

/// A file a tool stores into, and the command shown for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    /// The file, as a path (`~/.npmrc`, `.git/config`).
    pub file: String,
    /// The command, e.g. `npm config set`.
    pub via: &'static str,
}

/// A tool's command words after the program name, skipping its options (and, for `git -C
/// dir`, an option's value): `["config", "set", "key", "value"]`.
struct Words<'a> {
    all: &'a [&'a str],
}

impl<'a> Words<'a> {
    /// The words that are not options.
    fn plain(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.all.iter().copied().filter(|w| !w.starts_with('-'))
    }

    /// True when the first plain words are `sub` (or, after an option taking a value such
    /// as `git -C dir`, the ones after it).
    fn starts(&self, sub: &[&str]) -> bool {
        let plain: Vec<(usize, &str)> = (self.all.iter().copied().enumerate())
            .filter(|(_, w)| !w.starts_with('-'))
            .take(sub.len() + 1)
            .collect();
        let at = |skip: usize| {
            plain.len() >= skip + sub.len()
                && plain[skip..skip + sub.len()]
                    .iter()
                    .zip(sub)
                    .all(|((_, w), s)| w == s)
        };
        at(0)
            || (plain
                .first()
                .is_some_and(|&(i, _)| i > 0 && self.all[i - 1].starts_with('-'))
                && at(1))
    }

    fn has(&self, flags: &[&str]) -> bool {
        self.all.iter().any(|w| flags.contains(w))
    }

    /// The value of `--name value` or `--name=value`, for any of `names`.
    fn value(&self, names: &[&str]) -> Option<&'a str> {
        self.all.iter().enumerate().find_map(|(i, w)| {
            names.iter().find_map(|name| match w.strip_prefix(name) {
                Some("") => self.all.get(i + 1).copied(),
                Some(rest) => rest.strip_prefix('='),
                None => None,
            })
        })
    }

    /// The first plain word after `sub` (the key of `config set KEY VALUE`).
    fn key(&self, sub: usize) -> &'a str {
        self.plain().nth(sub).unwrap_or("")
    }
}

/// The file `words` (a command line, unquoted) stores into, or `None` when it stores nothing
/// or only reads, lists or removes.
pub fn stored(words: &[&str]) -> Option<Store> {
    let (program, args) = program(words)?;
    let w = Words { all: args };
    let store = |file: &str, via| {
        Some(Store {
            file: file.to_owned(),
            via,
        })
    };
    let reading = [
        "--get",
        "--get-all",
        "--get-regexp",
        "--list",
        "-l",
        "--unset",
        "--unset-all",
        "--remove-section",
        "--rename-section",
        "--edit",
        "-e",
        "--delete",
        "--show-origin",
    ];
    match program {
        "git" if w.starts(&["config"]) && !w.has(&reading) => {
            if ["get", "list", "unset", "edit"].contains(&w.key(1)) {
                return None;
            }
            let file = match () {
                _ if w.has(&["--global"]) => "~/.gitconfig",
                _ if w.has(&["--system"]) => "/etc/gitconfig",
                _ => w.value(&["--file", "-f"]).unwrap_or(".git/config"),
            };
            store(file, "git config")
        }
        "npm" | "pnpm" if w.starts(&["config", "set"]) || w.starts(&["set"]) => {
            let location = w.value(&["--location", "-L"]);
            let file = match () {
                _ if location == Some("project") => ".npmrc",
                _ if location == Some("global") || w.has(&["-g", "--global"]) => {
                    "/usr/local/etc/npmrc"
                }
                _ => w.value(&["--userconfig"]).unwrap_or("~/.npmrc"),
            };
            store(file, "npm config set")
        }
        "yarn" if w.starts(&["config", "set"]) => {
            // Yarn 2+ keys are camelCase (`npmAuthToken`) and live in `.yarnrc.yml`
            let key = w.key(2);
            let berry = key.starts_with(|c: char| c.is_ascii_lowercase())
                && key.chars().any(|c| c.is_ascii_uppercase());
            let file = match () {
                _ if w.has(&["-H", "--home"]) => "~/.yarnrc.yml",
                _ if berry => ".yarnrc.yml",
                _ => "~/.yarnrc",
            };
            store(file, "yarn config set")
        }
        "pip" | "pip3" if w.starts(&["config", "set"]) => {
            let file = match () {
                _ if w.has(&["--global"]) => "/etc/pip.conf",
                _ if w.has(&["--site"]) => "pip.conf",
                _ => "~/.config/pip/pip.conf",
            };
            store(file, "pip config set")
        }
        "composer" if w.starts(&["config"]) && !w.has(&["--unset", "--list", "-l", "--editor"]) => {
            const AUTH: &[&str] = &[
                "github-oauth.",
                "gitlab-oauth.",
                "gitlab-token.",
                "http-basic.",
                "bitbucket-oauth.",
                "bearer.",
                "forgejo-token.",
            ];
            let auth = AUTH.iter().any(|a| w.key(1).starts_with(a));
            let file = match (w.has(&["-g", "--global"]), auth) {
                (true, true) => "~/.composer/auth.json",
                (true, false) => "~/.composer/config.json",
                (false, true) => "auth.json",
                (false, false) => "composer.json",
            };
            store(file, "composer config")
        }
        "aws" if w.starts(&["configure", "set"]) => {
            let key = w.key(2);
            let credential = ["access_key_id", "secret_access_key", "session_token"]
                .iter()
                .any(|k| key.ends_with(k));
            store(
                if credential {
                    "~/.aws/credentials"
                } else {
                    "~/.aws/config"
                },
                "aws configure set",
            )
        }
        "docker" if w.starts(&["login"]) => store("~/.docker/config.json", "docker login"),
        "oras" if w.starts(&["login"]) => store("~/.docker/config.json", "oras login"),
        "crane" if w.starts(&["auth", "login"]) => {
            store("~/.docker/config.json", "crane auth login")
        }
        "helm" if w.starts(&["registry", "login"]) => {
            store("~/.config/helm/registry/config.json", "helm registry login")
        }
        "helm" if w.starts(&["repo", "add"]) => {
            store("~/.config/helm/repositories.yaml", "helm repo add")
        }
        "bundle" if w.starts(&["config"]) && !w.has(&["--delete"]) => {
            if ["get", "unset", "list"].contains(&w.key(1)) {
                return None;
            }
            let file = if w.has(&["--local"]) {
                ".bundle/config"
            } else {
                "~/.bundle/config"
            };
            store(file, "bundle config")
        }
        "poetry" if w.starts(&["config"]) && !w.has(&["--unset", "--list"]) => {
            let key = w.key(1);
            let auth = key.starts_with("http-basic.") || key.starts_with("pypi-token.");
            let file = if auth {
                "~/.config/pypoetry/auth.toml"
            } else {
                "~/.config/pypoetry/config.toml"
            };
            store(file, "poetry config")
        }
        "cargo" if w.starts(&["login"]) => store("~/.cargo/credentials.toml", "cargo login"),
        "gh" if w.starts(&["auth", "login"]) => store("~/.config/gh/hosts.yml", "gh auth login"),
        "vault" if w.starts(&["login"]) => store("~/.vault-token", "vault login"),
        "kubectl" if w.starts(&["config", "set-credentials"]) => store(
            w.value(&["--kubeconfig"]).unwrap_or("~/.kube/config"),
            "kubectl config set-credentials",
        ),
        "dotnet"
            if w.starts(&["nuget", "add", "source"])
                || w.starts(&["nuget", "update", "source"]) =>
        {
            let file = w
                .value(&["--configfile"])
                .unwrap_or("~/.nuget/NuGet/NuGet.Config");
            store(file, "dotnet nuget add source")
        }
        "nuget" if w.starts(&["sources", "add"]) || w.starts(&["sources", "update"]) => {
            let file = w
                .value(&["-ConfigFile", "-configfile"])
                .unwrap_or("~/.nuget/NuGet/NuGet.Config");
            store(file, "nuget sources add")
        }
        "conda" if w.starts(&["config"]) && w.has(&["--set", "--add", "--append", "--prepend"]) => {
            store(w.value(&["--file"]).unwrap_or("~/.condarc"), "conda config")
        }
        "az" if w.starts(&["login"]) && w.has(&["--service-principal"]) => {
            store("~/.azure/service_principal_entries.json", "az login")
        }
        "gcloud" if w.starts(&["auth", "activate-service-account"]) => store(
            "~/.config/gcloud/credentials.db",
            "gcloud auth activate-service-account",
        ),
        "huggingface-cli" if w.starts(&["login"]) => {
            store("~/.cache/huggingface/token", "huggingface-cli login")
        }
        "hf" if w.starts(&["auth", "login"]) => {
            store("~/.cache/huggingface/token", "hf auth login")
        }
        "wandb" if w.starts(&["login"]) => store("~/.netrc", "wandb login"),
        "ngrok" if w.starts(&["config", "add-authtoken"]) || w.starts(&["authtoken"]) => {
            store("~/.config/ngrok/ngrok.yml", "ngrok config add-authtoken")
        }
        "doctl" if w.starts(&["auth", "init"]) => {
            store("~/.config/doctl/config.yaml", "doctl auth init")
        }
        "snyk" if w.starts(&["auth"]) || w.starts(&["config", "set"]) => {
            store("~/.config/configstore/snyk.json", "snyk auth")
        }
        _ => None,
    }
}

/// The file whose stored credential `words` removes again (`npm config delete …`, `docker
/// logout`, `git config --global --unset …`), so an earlier store in the same `RUN` never
/// reaches the layer.
pub fn undone(words: &[&str]) -> Option<String> {
    let (program, args) = program(words)?;
    let w = Words { all: args };
    let removes = |subs: &[&[&str]]| subs.iter().any(|sub| w.starts(sub));
    let unsets = ["--unset", "--unset-all", "--remove-section", "--delete"];
    // the store this undoes, and how many command words come before the key in the undo
    let (twin, sub): (Vec<&str>, usize) = match program {
        "npm" | "pnpm" if removes(&[&["config", "delete"], &["config", "rm"]]) => {
            (vec![program, "config", "set"], 2)
        }
        "yarn" if removes(&[&["config", "unset"], &["config", "delete"]]) => {
            (vec!["yarn", "config", "set"], 2)
        }
        "pip" | "pip3" if removes(&[&["config", "unset"]]) => (vec![program, "config", "set"], 2),
        "git" | "composer" | "poetry" if w.has(&unsets) => (vec![program, "config"], 1),
        "bundle" if removes(&[&["config", "unset"]]) => (vec!["bundle", "config"], 2),
        "bundle" if w.has(&unsets) => (vec!["bundle", "config"], 1),
        "docker" | "oras" if removes(&[&["logout"]]) => (vec![program, "login"], 1),
        "helm" if removes(&[&["registry", "logout"]]) => (vec!["helm", "registry", "login"], 2),
        "cargo" if removes(&[&["logout"]]) => (vec!["cargo", "login"], 1),
        "gh" if removes(&[&["auth", "logout"]]) => (vec!["gh", "auth", "login"], 2),
        _ => return None,
    };
    // the matching store, with the same location flags and key
    let mut same = twin;
    same.extend(
        args.iter()
            .copied()
            .filter(|a| a.starts_with('-') && !unsets.contains(a)),
    );
    same.extend(w.plain().nth(sub));
    stored(&same).map(|s| s.file)
}

/// The program (its file name, after `sudo` and `python -m`) and its arguments.
fn program<'a>(words: &'a [&'a str]) -> Option<(&'a str, &'a [&'a str])> {
    let (first, mut rest) = words.split_first()?;
    let mut name = first.rsplit('/').next().unwrap_or(first);
    if name == "sudo" {
        let (next, after) = rest.split_first()?;
        name = next.rsplit('/').next().unwrap_or(next);
        rest = after;
    }
    if name.starts_with("python") && rest.first() == Some(&"-m") {
        let (module, after) = rest.get(1..)?.split_first()?;
        return Some((module, after));
    }
    Some((name, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(line: &str) -> Option<String> {
        stored(&line.split_whitespace().collect::<Vec<_>>()).map(|s| s.file)
    }

    fn undo(line: &str) -> Option<String> {
        undone(&line.split_whitespace().collect::<Vec<_>>())
    }

    #[test]
    fn each_tool_stores_where_its_flags_say() {
        let cases = [
            ("npm config set //r/:_authToken X", Some("~/.npmrc")),
            (
                "npm set //r/:_authToken=X --location=project",
                Some(".npmrc"),
            ),
            (
                "pnpm config set -g //r/:_authToken X",
                Some("/usr/local/etc/npmrc"),
            ),
            (
                "git config --global url.https://X@github.com/.insteadOf https://github.com/",
                Some("~/.gitconfig"),
            ),
            ("git -C /src config http.extraheader X", Some(".git/config")),
            ("git config --file /etc/x.conf a.b X", Some("/etc/x.conf")),
            ("/usr/bin/git config --system a.b X", Some("/etc/gitconfig")),
            ("yarn config set npmAuthToken X", Some(".yarnrc.yml")),
            ("yarn config set -H npmAuthToken X", Some("~/.yarnrc.yml")),
            ("yarn config set _authToken X", Some("~/.yarnrc")),
            (
                "python3 -m pip config set global.index-url X",
                Some("~/.config/pip/pip.conf"),
            ),
            (
                "pip config --global set global.index-url X",
                Some("/etc/pip.conf"),
            ),
            (
                "composer config -g github-oauth.github.com X",
                Some("~/.composer/auth.json"),
            ),
            (
                "composer config http-basic.repo.example.com u X",
                Some("auth.json"),
            ),
            (
                "aws configure set aws_secret_access_key X",
                Some("~/.aws/credentials"),
            ),
            ("aws configure set default.region X", Some("~/.aws/config")),
            (
                "sudo docker login -u ci -p X r.example.com",
                Some("~/.docker/config.json"),
            ),
            (
                "bundle config set --global rubygems.pkg.github.com u:X",
                Some("~/.bundle/config"),
            ),
            (
                "poetry config http-basic.corp u X",
                Some("~/.config/pypoetry/auth.toml"),
            ),
            ("cargo login X", Some("~/.cargo/credentials.toml")),
            (
                "kubectl config set-credentials ci --token=X",
                Some("~/.kube/config"),
            ),
            (
                "dotnet nuget add source https://x -u u -p X --store-password-in-clear-text",
                Some("~/.nuget/NuGet/NuGet.Config"),
            ),
            // reading, listing and unrelated commands store nothing
            ("git config --get remote.origin.url", None),
            ("git config get user.name", None),
            ("git clone https://x", None),
            ("npm install config set", None),
            ("npm ci", None),
            ("composer config --list", None),
            ("conda config --show", None),
            ("docker build .", None),
            ("", None),
            ("sudo", None),
            ("python -m", None),
        ];
        for (line, expected) in cases {
            assert_eq!(file(line).as_deref(), expected, "{line}");
        }
    }

    #[test]
    fn an_undo_names_the_file_its_store_would_use() {
        let cases = [
            ("npm config delete //r/:_authToken", Some("~/.npmrc")),
            (
                "git config --global --unset url.x.insteadOf",
                Some("~/.gitconfig"),
            ),
            ("docker logout r.example.com", Some("~/.docker/config.json")),
            (
                "composer config -g --unset github-oauth.github.com",
                Some("~/.composer/auth.json"),
            ),
            ("npm config set a b", None),
            ("docker login", None),
        ];
        for (line, expected) in cases {
            assert_eq!(undo(line).as_deref(), expected, "{line}");
        }
    }
}
