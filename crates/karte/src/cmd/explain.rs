//! `karte explain RULE`: what a rule detects, why it matters, its thresholds, and the fix.

use super::doctor::LangArg;
use super::{CliError, CmdResult};
use karte_rules::rules;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The rule id (e.g. kernel-thread-runaway); see --list
    #[arg(required_unless_present = "list")]
    pub rule: Option<String>,
    /// List every rule with its title
    #[arg(long)]
    pub list: bool,
    /// Language (default: from LC_ALL, LC_MESSAGES, LANG)
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
}

pub fn run(args: Args) -> CmdResult {
    let lang = LangArg::resolve(args.lang);
    if args.list {
        let w = rules::ALL.iter().map(|r| r.id.len()).max().unwrap_or(0);
        for r in rules::ALL {
            println!("{:w$}  {}", r.id, r.title(lang));
        }
        return Ok(0);
    }
    let id = args.rule.unwrap_or_default();
    match rules::find(&id) {
        Some(r) => {
            println!("{} — {}\n", r.id, r.title(lang));
            println!("{}", r.explain(lang));
            Ok(0)
        }
        None => {
            let ids: Vec<&str> = rules::ALL.iter().map(|r| r.id).collect();
            Err(CliError::with_code(
                format!("no rule named {id:?}; rules: {}", ids.join(", ")),
                2,
            ))
        }
    }
}
