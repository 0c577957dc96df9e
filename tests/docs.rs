//! docs/BENCHMARKS.md checked against the repository. In: the document, the names and sources of
//! `examples/`, `benches/` and `tests/`, the source tree's text, and the binary's own `--help`. Out:
//! a failure for every figure whose section names no command, for every command that names an
//! example, bench, test, subcommand, flag or variable the repository does not have, and for every
//! file under /tmp that only one of a section's commands names (made and never used, or used and
//! never made).
//!
//! Definitions, as the checks apply them:
//! - A *section* runs from a heading to the next heading of any level.
//! - A *figure* is a table with a digit in a body row, or, in prose outside code, a number followed
//!   by a unit of measure (`s`, `ms`, `µs`, `MiB`, `MB/s`, `%`, `×`, `documents/s`, …) or a score
//!   after its name (`F1 0.975`, `ARI 0.8598`).
//! - A section *names its command* when it, or a section enclosing it below the document's title,
//!   holds a line of a ```` ```sh ```` block or a `**Command:**` / `**Commands:**` line with the
//!   command in backquotes. The title never names a command for the sections below it.
//! - Every command in those places, and every backquoted `cargo …` or `newsdedup …` in prose, is
//!   checked: `cargo` targets exist (`--example`, `--bench`, `--test`), an example's `--flag`s
//!   appear in its source, `newsdedup` subcommands and flags are in the binary's `--help`, and
//!   `NEWSDEDUP_*` variables appear in the source tree.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_newsdedup");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------------
// The document as sections, figures and commands.

/// A line of a command: where it is, and its text.
#[derive(Debug, Clone)]
struct Named {
    line: usize,
    /// The last line (a shell command continued with `\\` spans several).
    end: usize,
    text: String,
}

#[derive(Debug, Default)]
struct Section {
    level: usize,
    title: String,
    line: usize,
    /// Index of the nearest enclosing section, if any.
    parent: Option<usize>,
    /// Lines holding a figure, with the figure found.
    figures: Vec<(usize, String)>,
    /// Commands that name how the section's figures were produced (sh blocks, `**Command:**`).
    commands: Vec<Named>,
    /// Commands mentioned in prose (checked for being real, but naming nothing).
    mentioned: Vec<Named>,
}

/// Backquoted spans of a line, and the line with them removed.
fn code_spans(line: &str) -> (Vec<String>, String) {
    let mut spans = Vec::new();
    let mut rest = String::new();
    let mut parts = line.split('`');
    if let Some(first) = parts.next() {
        rest.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        if i % 2 == 0 {
            spans.push(part.to_string());
        } else {
            rest.push(' ');
            rest.push_str(part);
        }
    }
    (spans, rest)
}

const UNITS: &[&str] = &[
    "ns",
    "µs",
    "ms",
    "s",
    "min",
    "KiB",
    "MiB",
    "GiB",
    "KB",
    "MB",
    "GB",
    "MiB/s",
    "MB/s",
    "GB/s",
    "documents/s",
    "pages/s",
    "articles/s",
    "%",
    "×",
    "million",
];
const SCORES: &[&str] = &["P", "R", "F1", "ARI", "precision", "recall", "containment"];

/// The first measured number of a line of prose (code spans already removed), as written.
fn figure_in(prose: &str) -> Option<String> {
    let chars: Vec<char> = prose.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len()
            && (chars[j].is_ascii_digit()
                || ((chars[j] == '.' || chars[j] == ',')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
        {
            j += 1;
        }
        let number: String = chars[i..j].iter().collect();
        // A unit right after the number, or after one space.
        let mut k = j;
        if chars.get(k) == Some(&' ') || chars.get(k) == Some(&'\u{a0}') {
            k += 1;
        }
        let after: String = chars[k..].iter().collect();
        for unit in UNITS {
            if let Some(tail) = after.strip_prefix(unit) {
                let ends = tail.chars().next().is_none_or(|c| !c.is_alphanumeric());
                if ends {
                    return Some(format!("{number} {unit}"));
                }
            }
        }
        // A score after its name: "F1 0.975".
        if number.contains('.') {
            let before: String = chars[..i].iter().collect();
            let word = before.trim_end().rsplit([' ', '(']).next().unwrap_or("");
            if SCORES.contains(&word) {
                return Some(format!("{word} {number}"));
            }
        }
        i = j;
    }
    None
}

/// Whether a table row is the header/body separator (`|---|:--|`).
fn is_separator(row: &str) -> bool {
    row.trim()
        .chars()
        .all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn parse(doc: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = vec![Section::default()];
    let mut fence: Option<String> = None; // the language of the open code block
    let mut pending = String::new(); // a shell line continued with `\`
    let mut pending_line = 0;
    let mut table_row = 0; // rows seen in the current table
    for (n, line) in doc.lines().enumerate() {
        let n = n + 1;
        let cur = sections.len() - 1;
        if let Some(rest) = line.trim_start().strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(rest.trim().to_string()),
            };
            continue;
        }
        if let Some(lang) = &fence {
            if lang == "sh" {
                let text = line.trim_end();
                let (body, continued) = match text.strip_suffix('\\') {
                    Some(b) => (b, true),
                    None => (text, false),
                };
                if pending.is_empty() {
                    pending_line = n;
                }
                pending.push_str(body);
                pending.push(' ');
                if !continued {
                    let command = strip_comment(&pending).trim().to_string();
                    if !command.is_empty() {
                        sections[cur].commands.push(Named {
                            line: pending_line,
                            end: n,
                            text: command,
                        });
                    }
                    pending.clear();
                }
            }
            continue;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes > 0 && line[hashes..].starts_with(' ') {
            let parent = (0..sections.len())
                .rev()
                .find(|&i| sections[i].level > 0 && sections[i].level < hashes);
            sections.push(Section {
                level: hashes,
                title: line[hashes..].trim().to_string(),
                line: n,
                parent,
                ..Section::default()
            });
            table_row = 0;
            continue;
        }
        let (spans, prose) = code_spans(line);
        if line.trim_start().starts_with('|') {
            table_row += 1;
            if table_row > 1 && !is_separator(line) && prose.chars().any(|c| c.is_ascii_digit()) {
                sections[cur]
                    .figures
                    .push((n, "a table of figures".to_string()));
            }
        } else {
            table_row = 0;
            if let Some(f) = figure_in(&prose) {
                sections[cur].figures.push((n, f));
            }
        }
        let naming = line.contains("**Command:**") || line.contains("**Commands:**");
        for span in spans {
            let first = span.split_whitespace().next().unwrap_or("");
            let named = Named {
                line: n,
                end: n,
                text: span.clone(),
            };
            if naming {
                sections[cur].commands.push(named);
            } else if ["cargo", "newsdedup", "target/release/newsdedup"].contains(&first)
                && span.split_whitespace().count() > 1
            {
                sections[cur].mentioned.push(named);
            }
        }
    }
    sections
}

/// A shell line without its `# comment` (a `#` outside quotes, after a space or at the start).
fn strip_comment(line: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

// ---------------------------------------------------------------------------------------------
// Shell commands: words, simple commands, and the checks of what they name.

#[derive(Debug, PartialEq)]
enum Word {
    Text(String),
    /// `;`, `&&`, `||`, `|`, `>`, `>>`, `<`.
    Op(String),
}

fn words(line: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut chars = line.chars().peekable();
    let flush = |out: &mut Vec<Word>, cur: &mut String, has: &mut bool| {
        if *has {
            out.push(Word::Text(std::mem::take(cur)));
            *has = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                has = true;
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                    cur.push(d);
                }
            }
            c if c.is_whitespace() => flush(&mut out, &mut cur, &mut has),
            ';' | '|' | '&' | '>' | '<' => {
                flush(&mut out, &mut cur, &mut has);
                let mut op = c.to_string();
                if let Some(&d) = chars.peek()
                    && (d == c || (c == '>' && d == '&'))
                {
                    op.push(d);
                    chars.next();
                }
                out.push(Word::Op(op));
            }
            c => {
                has = true;
                cur.push(c);
            }
        }
    }
    flush(&mut out, &mut cur, &mut has);
    out
}

/// A simple command: its words, and the files it redirects to (`>`, `>>`) or from (`<`).
#[derive(Debug, Default)]
struct Simple {
    args: Vec<String>,
    redirects_out: Vec<String>,
    redirects_in: Vec<String>,
}

fn simple_commands(line: &str) -> Vec<Simple> {
    let mut out = vec![Simple::default()];
    let mut redirect: Option<String> = None;
    for w in words(line) {
        match w {
            Word::Op(op) if [";", "&&", "||", "|", "&"].contains(&op.as_str()) => {
                out.push(Simple::default());
            }
            Word::Op(op) => redirect = Some(op),
            Word::Text(t) => {
                let last = out.last_mut().expect("one command at least");
                match redirect.take().as_deref() {
                    Some("<") => last.redirects_in.push(t),
                    Some(_) => last.redirects_out.push(t),
                    None => last.args.push(t),
                }
            }
        }
    }
    out.retain(|s| !s.args.is_empty() || !s.redirects_out.is_empty());
    out
}

/// The variables a simple command assigns, and the command it runs once wrappers (`/usr/bin/time
/// -v`, `heaptrack`, `valgrind --tool=…`, `perf record …`) are taken off.
fn program_args(cmd: &Simple) -> (Vec<&str>, &[String]) {
    let mut vars = Vec::new();
    let mut args: &[String] = &cmd.args;
    while let Some(first) = args.first() {
        let Some((name, _)) = first.split_once('=') else {
            break;
        };
        if !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            break;
        }
        vars.push(name);
        args = &args[1..];
    }
    while let Some(first) = args.first() {
        let skip_sub = match first.as_str() {
            "/usr/bin/time" | "heaptrack" | "valgrind" => false,
            "perf" => true,
            _ => break,
        };
        args = &args[(1 + usize::from(skip_sub)).min(args.len())..];
        while args.first().is_some_and(|a| a.starts_with('-')) {
            args = &args[1..];
        }
    }
    (vars, args)
}

/// Whether a command measures something (runs a bench, an example, a test, the binary, or reads
/// the machine), as opposed to preparing for it (`cargo build`, `rm`, `:`).
fn measures(cmd: &Simple) -> bool {
    let (_, args) = program_args(cmd);
    match args.first().map(String::as_str) {
        Some("cargo") => args.get(1).is_some_and(|s| s != "build"),
        Some(":" | "rm") | None => false,
        Some(_) => true,
    }
}

/// What a command may name, read from the repository once.
struct Repo {
    examples: BTreeSet<String>,
    benches: BTreeSet<String>,
    tests: BTreeSet<String>,
    example_sources: HashMap<String, String>,
    /// The text of src/, benches/, examples/ and tests/ (this file left out: it names variables
    /// that do not exist), for variable names.
    source_text: String,
    help: std::cell::RefCell<HashMap<Vec<String>, Help>>,
}

/// What `newsdedup PATH --help` says: its subcommands, and its options with whether each takes a
/// value.
#[derive(Debug, Clone)]
struct Help {
    commands: BTreeSet<String>,
    options: HashMap<String, bool>,
    needs_command: bool,
}

fn stems(dir: &str, ext: &str) -> BTreeSet<String> {
    std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("reading {dir}/: {e}"))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(ext).map(str::to_string)
        })
        .collect()
}

fn read_tree(dir: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            read_tree(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("tests/docs.rs") {
            out.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
        }
    }
}

impl Repo {
    fn load() -> Repo {
        let examples = stems("examples", ".rs");
        let example_sources = examples
            .iter()
            .map(|e| {
                let p = root().join("examples").join(format!("{e}.rs"));
                (
                    e.clone(),
                    std::fs::read_to_string(p).expect("reading an example"),
                )
            })
            .collect();
        // A bench must also be declared in Cargo.toml (harness = false), or `--bench` finds it
        // under a different harness.
        let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
        let benches = stems("benches", ".rs")
            .into_iter()
            .filter(|b| manifest.contains(&format!("[[bench]]\nname = \"{b}\"")))
            .collect();
        let mut source_text = String::new();
        for d in ["src", "benches", "examples", "tests"] {
            read_tree(&root().join(d), &mut source_text);
        }
        Repo {
            examples,
            benches,
            tests: stems("tests", ".rs"),
            example_sources,
            source_text,
            help: Default::default(),
        }
    }

    fn help(&self, path: &[String]) -> Result<Help, String> {
        if let Some(h) = self.help.borrow().get(path) {
            return Ok(h.clone());
        }
        let out = Command::new(BIN)
            .args(path)
            .arg("--help")
            .env_remove("NEWSDEDUP_CONFIG")
            .env_remove("NEWSDEDUP_DB")
            .output()
            .expect("running newsdedup --help");
        if !out.status.success() {
            return Err(format!(
                "`newsdedup {} --help` fails: {}",
                path.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut help = Help {
            commands: BTreeSet::new(),
            options: HashMap::new(),
            needs_command: text.contains("<COMMAND>"),
        };
        let mut part = "";
        for line in text.lines() {
            if !line.starts_with(' ') {
                part = line.trim_end_matches(':');
                continue;
            }
            let item = line.trim_start();
            match part {
                "Commands" => {
                    if let Some(name) = item.split_whitespace().next() {
                        help.commands.insert(name.to_string());
                    }
                }
                "Options" => {
                    // "-h, --help  Print help", "--db <PATH>  The SQLite database"
                    let spec = item.split("  ").next().unwrap_or("");
                    for flag in spec.split(", ") {
                        let mut it = flag.split_whitespace();
                        if let Some(name) = it.next() {
                            help.options.insert(name.to_string(), it.next().is_some());
                        }
                    }
                }
                _ => {}
            }
        }
        self.help.borrow_mut().insert(path.to_vec(), help.clone());
        Ok(help)
    }

    /// Checks one simple command; the problems found, as sentences.
    fn check(&self, cmd: &Simple) -> Vec<String> {
        let (vars, args) = program_args(cmd);
        let mut problems: Vec<String> = vars
            .iter()
            .filter(|name| name.starts_with("NEWSDEDUP_") && !self.source_text.contains(*name))
            .map(|name| format!("variable {name} is read nowhere in the source"))
            .collect();
        let Some(program) = args.first() else {
            return problems;
        };
        let rest = &args[1..];
        match program.as_str() {
            "cargo" => problems.extend(self.check_cargo(rest)),
            "newsdedup" | "target/release/newsdedup" | "target/debug/newsdedup" => {
                problems.extend(self.check_newsdedup(rest))
            }
            ":" | "rm" | "lscpu" | "free" | "nproc" | "uptime" | "rustc" => {}
            other => problems.push(format!("unknown program `{other}`")),
        }
        problems
    }

    fn check_cargo(&self, args: &[String]) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(sub) = args.first() else {
            return vec!["`cargo` without a subcommand".into()];
        };
        if !["build", "run", "bench", "test"].contains(&sub.as_str()) {
            problems.push(format!("cargo subcommand `{sub}` is not one the docs use"));
        }
        let mut example = None;
        let mut i = 1;
        while i < args.len() {
            let a = args[i].as_str();
            let value = args.get(i + 1).map(String::as_str).unwrap_or("");
            match a {
                "--" => break,
                "--release" | "--no-default-features" | "--all-targets" | "--lib" => {}
                "--features" => i += 1,
                "--example" | "--bench" | "--test" => {
                    let (set, dir) = match a {
                        "--example" => (&self.examples, "examples"),
                        "--bench" => (&self.benches, "benches (declared in Cargo.toml)"),
                        _ => (&self.tests, "tests"),
                    };
                    if !set.contains(value) {
                        problems.push(format!("`{a} {value}`: no such target in {dir}/"));
                    }
                    if a == "--example" {
                        example = Some(value.to_string());
                    }
                    i += 1;
                }
                a if a.starts_with('-') => problems.push(format!("unknown cargo flag `{a}`")),
                _ => {} // a test or bench name filter
            }
            i += 1;
        }
        let after = args.get(i + 1..).unwrap_or(&[]);
        for a in after.iter().filter(|a| a.starts_with("--")) {
            let flag = a.split('=').next().unwrap_or(a);
            match (sub.as_str(), &example) {
                ("run", Some(ex)) => {
                    let source = self.example_sources.get(ex).map(String::as_str);
                    if source.is_some_and(|s| !s.contains(&format!("\"{flag}\""))) {
                        problems.push(format!("example {ex} does not read the flag `{flag}`"));
                    }
                }
                ("test", _) => {
                    let known = ["--nocapture", "--test-threads", "--ignored", "--exact"];
                    if !known.contains(&flag) {
                        problems.push(format!("unknown test-harness flag `{flag}`"));
                    }
                }
                _ => {}
            }
        }
        problems
    }

    fn check_newsdedup(&self, args: &[String]) -> Vec<String> {
        let mut path: Vec<String> = Vec::new();
        let mut help = match self.help(&path) {
            Ok(h) => h,
            Err(e) => return vec![e],
        };
        let mut positional = 0;
        let mut i = 0;
        while i < args.len() {
            let a = args[i].trim_matches(['[', ']']);
            if a.starts_with('-') && a != "-" {
                let name = a.split('=').next().unwrap_or(a);
                match help.options.get(name) {
                    None => {
                        return vec![format!(
                            "`newsdedup {}` has no flag `{name}`",
                            path.join(" ")
                        )];
                    }
                    Some(true) if !a.contains('=') => i += 1,
                    Some(_) => {}
                }
            } else if positional == 0 && !help.commands.is_empty() {
                if !help.commands.contains(a) {
                    return vec![format!(
                        "`newsdedup {}` has no subcommand `{a}`",
                        path.join(" ")
                    )];
                }
                path.push(a.to_string());
                help = match self.help(&path) {
                    Ok(h) => h,
                    Err(e) => return vec![e],
                };
            } else {
                positional += 1;
            }
            i += 1;
        }
        if help.needs_command {
            return vec![format!("`newsdedup {}` needs a subcommand", path.join(" "))];
        }
        Vec::new()
    }
}

/// The files under /tmp a command makes, and the ones it reads.
type MadeUsed = (Vec<String>, Vec<String>);

/// Whether a word is a file under /tmp (a path whose last part has an extension).
fn is_tmp_file(a: &str) -> bool {
    a.starts_with("/tmp/") && a.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

/// The files under /tmp a command makes (an example's arguments, a `>` target) and the ones it
/// reads (the binary's arguments other than `--db`, a `<` source). A database named by `--db`
/// is made by the command that uses it, so it is neither.
fn tmp_files(cmd: &Simple) -> MadeUsed {
    let (_, args) = program_args(cmd);
    let mut made: Vec<String> = cmd.redirects_out.clone();
    let mut used: Vec<String> = cmd.redirects_in.clone();
    match args.first().map(String::as_str) {
        Some("cargo") if args.iter().any(|a| a == "--example") => {
            made.extend(args.iter().skip_while(|a| *a != "--").cloned());
        }
        Some("newsdedup" | "target/release/newsdedup" | "target/debug/newsdedup") => {
            let mut after_db = false;
            for a in args {
                if !std::mem::replace(&mut after_db, a == "--db") {
                    used.push(a.clone());
                }
            }
        }
        _ => {}
    }
    made.retain(|a| is_tmp_file(a));
    used.retain(|a| is_tmp_file(a));
    (made, used)
}

// ---------------------------------------------------------------------------------------------
// The checks.

/// Every problem of a document, one sentence each, naming its line.
fn problems(doc: &str, repo: &Repo) -> Vec<String> {
    let sections = parse(doc);
    let mut out = Vec::new();
    // Code spans are read a line at a time, so a span may not run across lines.
    let mut fenced = false;
    for (n, line) in doc.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.matches('`').count() % 2 == 1 {
            out.push(format!(
                "line {}: a backquoted span runs across lines (keep each on one line)",
                n + 1
            ));
        }
    }
    for (idx, s) in sections.iter().enumerate() {
        // The section's own commands and those of its enclosing sections below the title.
        let mut naming: Vec<&Named> = s.commands.iter().collect();
        let mut up = s.parent;
        while let Some(p) = up {
            if sections[p].level >= 2 {
                naming.extend(&sections[p].commands);
            }
            up = sections[p].parent;
        }
        naming.sort_by_key(|n| n.line);
        let measuring = naming
            .iter()
            .any(|n| simple_commands(&n.text).iter().any(measures));
        if let Some((line, figure)) = s.figures.first()
            && !measuring
        {
            let title = if idx == 0 {
                "(before the title)"
            } else {
                &s.title
            };
            out.push(format!(
                "line {line}: section \"{title}\" (line {}) quotes a figure ({figure}) but names no \
                 command that measured it",
                s.line
            ));
        }
        for named in s.commands.iter().chain(&s.mentioned) {
            for cmd in simple_commands(&named.text) {
                for p in repo.check(&cmd) {
                    out.push(format!("line {}: `{}`: {p}", named.line, named.text));
                }
            }
        }
        // Files under /tmp: a file read is made by an earlier command in reach, a file made is
        // read by a later one. Reported in the section whose own command names the file.
        let simple: Vec<(usize, MadeUsed)> = naming
            .iter()
            .flat_map(|n| {
                simple_commands(&n.text)
                    .into_iter()
                    .map(|c| (n.line, tmp_files(&c)))
            })
            .collect();
        let own = |line: usize| s.commands.iter().any(|c| c.line == line);
        for (i, (line, (made, used))) in simple.iter().enumerate() {
            for f in used {
                if own(*line) && !simple[..i].iter().any(|(_, (m, _))| m.contains(f)) {
                    out.push(format!(
                        "line {line}: {f} is read but no earlier command of section \"{}\" \
                         makes it",
                        s.title
                    ));
                }
            }
            for f in made {
                if own(*line) && !simple[i + 1..].iter().any(|(_, (_, u))| u.contains(f)) {
                    out.push(format!(
                        "line {line}: {f} is made but no later command of section \"{}\" \
                         reads it",
                        s.title
                    ));
                }
            }
        }
    }
    out
}

fn benchmarks_md() -> (PathBuf, String) {
    let path = root().join("docs/BENCHMARKS.md");
    let text = std::fs::read_to_string(&path).expect("reading docs/BENCHMARKS.md");
    (path, text)
}

#[test]
fn every_figure_in_benchmarks_md_names_a_real_command() {
    let (path, doc) = benchmarks_md();
    let repo = Repo::load();
    let found = problems(&doc, &repo);
    assert!(
        found.is_empty(),
        "{}:\n{}",
        path.display(),
        found.join("\n")
    );
}

/// The check finds something to check: figures in most sections, and commands of each kind.
#[test]
fn benchmarks_md_has_figures_and_commands_to_check() {
    let (_, doc) = benchmarks_md();
    let sections = parse(&doc);
    let with_figures = sections.iter().filter(|s| !s.figures.is_empty()).count();
    assert!(
        with_figures >= 10,
        "only {with_figures} sections with figures"
    );
    let all: Vec<&str> = sections
        .iter()
        .flat_map(|s| &s.commands)
        .map(|n| n.text.as_str())
        .collect();
    for kind in ["--bench", "--example", "newsdedup"] {
        assert!(
            all.iter().any(|c| c.contains(kind)),
            "no command with {kind} in {all:?}"
        );
    }
}

/// Taking the command lines out of any section that has figures fails the check, naming that
/// section: no section's figures pass on another section's commands.
#[test]
fn deleting_a_sections_commands_fails_the_check() {
    let (_, doc) = benchmarks_md();
    let repo = Repo::load();
    let sections = parse(&doc);
    let lines: Vec<&str> = doc.lines().collect();
    let mut tried = 0;
    for s in sections.iter().filter(|s| !s.figures.is_empty()) {
        if s.commands.is_empty() {
            continue; // it inherits its enclosing section's, tried with that one
        }
        let drop: BTreeSet<usize> = s.commands.iter().flat_map(|c| c.line..=c.end).collect();
        let mutated: String = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(&(i + 1)))
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        let found = problems(&mutated, &repo);
        assert!(
            found
                .iter()
                .any(|p| p.contains(&format!("section \"{}\"", s.title))),
            "section \"{}\" without its commands still passes: {found:?}",
            s.title
        );
        tried += 1;
    }
    assert!(tried >= 8, "only {tried} sections tried");
}

/// The rules on a small document, one broken thing at a time.
#[test]
fn the_check_catches_each_kind_of_fault() {
    let repo = Repo::load();
    let ok = "# T\n\n## A\n\n**Command:** `cargo bench --bench index`\n\nIt takes 8.3 µs.\n";
    assert_eq!(problems(ok, &repo), Vec::<String>::new());
    let cases = [
        ("## A\n\nIt takes 8.3 µs.\n", "names no command"),
        (
            "## A\n\n| a | b |\n|---|---|\n| x | 12 |\n",
            "names no command",
        ),
        ("## A\n\nF1 0.975 on the corpus.\n", "names no command"),
        (
            "# T\n\n**Command:** `cargo bench --bench index`\n\n## A\n\nIt takes 8.3 µs.\n",
            "names no command",
        ),
        (
            "## A\n\n```sh\ncargo bench --bench nope\n```\n",
            "no such target",
        ),
        (
            "## A\n\n```sh\ncargo run --release --example make_corpus -- --nope\n```\n",
            "does not read the flag",
        ),
        (
            "## A\n\n```sh\nnewsdedup frobnicate\n```\n",
            "no subcommand `frobnicate`",
        ),
        (
            "## A\n\n```sh\nnewsdedup ingest --nope x\n```\n",
            "no flag `--nope`",
        ),
        (
            "## A\n\n```sh\nnewsdedup bench\n```\n",
            "needs a subcommand",
        ),
        (
            "## A\n\nRun `newsdedup evaluate x`.\n",
            "no subcommand `evaluate`",
        ),
        (
            "## A\n\n```sh\nNEWSDEDUP_NO_SUCH_VAR=1 cargo bench --bench story\n```\n",
            "read nowhere",
        ),
        ("## A\n\n```sh\nfrob --x\n```\n", "unknown program"),
        (
            "## A\n\nRun `cargo bench\n--bench index`.\n",
            "runs across lines",
        ),
        (
            "## A\n\n```sh\nnewsdedup --db /tmp/x.db ingest /tmp/never-made.jsonl\n\
             rm -f /tmp/x.db\n```\n",
            "/tmp/never-made.jsonl is read but no earlier command",
        ),
        (
            "## A\n\n```sh\nnewsdedup ingest /tmp/c.jsonl\n\
             cargo run --release --example make_corpus -- /tmp/c.jsonl 10\n```\n",
            "/tmp/c.jsonl is read but no earlier command",
        ),
        (
            "## A\n\n```sh\ncargo run --release --example make_corpus -- /tmp/c.jsonl 10\n\
             newsdedup eval /tmp/other.jsonl\n```\n",
            "/tmp/c.jsonl is made but no later command",
        ),
        (
            "## A\n\n```sh\ncargo build --release\nrm -f /tmp/x.db\n```\n\nIt took 3 s.\n",
            "names no command that measured it",
        ),
    ];
    for (doc, expected) in cases {
        let found = problems(doc, &repo);
        assert!(
            found.iter().any(|p| p.contains(expected)),
            "{doc:?}: expected a problem with {expected:?}, got {found:?}"
        );
    }
    // Subsections share their enclosing section's commands; a continued line is one command.
    let nested = "## A\n\n```sh\ncargo run --release --example make_corpus -- \\\n    /tmp/c.jsonl 10\n\
                  newsdedup ingest /tmp/c.jsonl # the ingest\n```\n\n### B\n\nIt took 3 s.\n";
    assert_eq!(problems(nested, &repo), Vec::<String>::new());
}
