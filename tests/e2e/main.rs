//! `make e2e`: the browser suite against the real local stack. Starts the stack exactly as the
//! black-box suite does — its own AWS emulator, the sandbox Airtable, the scripted model —
//! serving the built app (`web/dist`) on the API's origin, then runs Playwright in `web/` and
//! exits with its status. `e2e serve` keeps the stack up instead (for developing the app and its
//! tests against it); both write the stack's addresses to the file named by `PYAT_STACK`
//! (default `web/e2e-results/stack.json`), which the Playwright config reads.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    // The stack parses uploads in child processes of this binary (the black-box suite's too).
    file_processor::isolate::child_main_if_requested();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serve = args.first().is_some_and(|a| a == "serve");
    let web = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../web"));
    let results = web.join("e2e-results");
    std::fs::create_dir_all(&results).expect("web/e2e-results");
    let stack_file = std::env::var("PYAT_STACK")
        .map(PathBuf::from)
        .unwrap_or_else(|_| results.join("stack.json"));

    let stack = tests::stack();
    let llm_root = stack.llm.trim_end_matches("/v1").to_owned();
    let info = serde_json::json!({
        "baseUrl": format!("http://{}", stack.api),
        "sandboxUrl": format!("http://{}", stack.sandbox),
        "llmUrl": llm_root,
        "sandboxToken": local::sandbox::DEFAULT_TOKEN,
    });
    std::fs::write(&stack_file, serde_json::to_vec_pretty(&info).expect("json"))
        .expect("the stack file");
    eprintln!(
        "e2e: stack up at {} (written to {})",
        info["baseUrl"],
        stack_file.display()
    );

    if serve {
        eprintln!(
            "e2e: serving until interrupted; logs go to {}",
            results.join("stack.log").display()
        );
        loop {
            std::thread::sleep(std::time::Duration::from_secs(5));
            let _ = std::fs::write(results.join("stack.log"), tests::logs());
        }
    }

    let status = Command::new(web.join("node_modules/.bin/playwright"))
        .arg("test")
        .args(&args)
        .current_dir(&web)
        .env("PYAT_STACK", &stack_file)
        .status()
        .expect("playwright (run `npm ci` in web/)");
    // The stack's own log, for a failed run (it holds no secrets: they are never logged).
    let _ = std::fs::write(results.join("stack.log"), tests::logs());
    std::process::exit(status.code().unwrap_or(1));
}
