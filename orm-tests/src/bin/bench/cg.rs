//! Instruction counts of each timed section, when the program runs under callgrind.
//!
//! Wall-clock times on a shared 2-core machine move by tens of percent from run to run;
//! instruction counts do not. Run the program under callgrind and every timed section becomes one
//! callgrind dump labelled `target|workload|contender`, holding the instructions the whole client
//! process (every thread: with sqlx's SQLite, the worker thread too) executed in it:
//!
//! ```text
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg/cg.%p target/release/bench --quick ...
//! target/release/bench --callgrind-report /tmp/cg
//! ```
//!
//! Outside valgrind the client requests below are no-ops (a few instructions each).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static LABEL: Mutex<String> = Mutex::new(String::new());

/// Sets the label of the next dumps.
pub fn set_label(label: String) {
    *LABEL.lock().unwrap() = label;
}

#[cfg(target_arch = "x86_64")]
fn request(req: u64, arg: u64) -> u64 {
    let args: [u64; 6] = [req, arg, 0, 0, 0, 0];
    let mut result: u64 = 0;
    // SAFETY: valgrind's client-request sequence (valgrind.h, amd64): rotating rdi by 128 bits in
    // all leaves it unchanged and `xchg rbx, rbx` is a no-op, so natively this does nothing and
    // leaves rdx (the result) at its default 0; under valgrind it is the request.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            inout("rdx") result,
            in("rax") args.as_ptr(),
            inout("rdi") 0u64 => _,
            options(nostack),
        );
    }
    result
}

#[cfg(not(target_arch = "x86_64"))]
fn request(_req: u64, _arg: u64) -> u64 {
    0
}

const RUNNING_ON_VALGRIND: u64 = 0x1001;
const CALLGRIND_ZERO_STATS: u64 = 0x4354_0001;
const CALLGRIND_DUMP_STATS_AT: u64 = 0x4354_0003;

/// Whether the program runs under valgrind.
pub fn on_valgrind() -> bool {
    request(RUNNING_ON_VALGRIND, 0) != 0
}

/// A timed section: wall-clock time, and a callgrind dump when under valgrind.
pub struct Timer(Instant, bool);

impl Timer {
    pub fn start() -> Timer {
        let vg = on_valgrind();
        if vg {
            request(CALLGRIND_ZERO_STATS, 0);
        }
        Timer(Instant::now(), vg)
    }

    pub fn stop(self) -> Duration {
        let d = self.0.elapsed();
        if self.1 {
            let label = std::ffi::CString::new(LABEL.lock().unwrap().clone()).unwrap_or_default();
            request(CALLGRIND_DUMP_STATS_AT, label.as_ptr() as u64);
        }
        d
    }
}

/// Prints the median instructions of each labelled section found in the callgrind files of `dir`.
pub fn report(dir: &str) {
    let mut ir: HashMap<(String, String, String), Vec<u64>> = HashMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    let mut contenders: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir).expect("callgrind directory") {
        let path = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut label = None;
        let mut total = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("desc: Trigger: Client Request: ") {
                label = Some(rest.to_owned());
            } else if let Some(n) = line.strip_prefix("totals: ").or_else(|| line.strip_prefix("summary: ")) {
                total = n.split_whitespace().next().and_then(|n| n.parse::<u64>().ok());
            }
        }
        let (Some(label), Some(total)) = (label, total) else {
            continue;
        };
        let parts: Vec<&str> = label.split('|').collect();
        if parts.len() != 3 {
            continue;
        }
        let key = (parts[0].to_owned(), parts[1].to_owned());
        if !order.contains(&key) {
            order.push(key.clone());
        }
        if !contenders.iter().any(|c| c == parts[2]) {
            contenders.push(parts[2].to_owned());
        }
        ir.entry((key.0, key.1, parts[2].to_owned())).or_default().push(total);
    }
    let rank = |c: &str| crate::CONTENDERS.iter().position(|x| *x == c).unwrap_or(99);
    contenders.sort_by_key(|c| rank(c));
    order.sort_by_key(|(t, w)| (crate::target_rank(t), crate::work_rank(w)));
    let mut last_target = String::new();
    for (t, w) in order {
        if t != last_target {
            println!("\n### {t}: instructions (client process, median), ratio to the best raw sqlx\n");
            print!("| workload | best raw |");
            for c in &contenders {
                print!(" {} |", crate::contender_label(c));
            }
            println!();
            println!("|---|---|{}", "---|".repeat(contenders.len()));
            last_target = t.clone();
        }
        let med = |v: &mut Vec<u64>| {
            v.sort();
            v[v.len() / 2]
        };
        let counts: HashMap<&String, u64> = contenders
            .iter()
            .filter_map(|c| Some((c, ir.get_mut(&(t.clone(), w.clone(), c.clone())).map(med)?)))
            .collect();
        // The best of raw sqlx's ways of reading rows, on this workload and target.
        let best = counts.iter().filter(|(c, _)| crate::is_raw(c)).min_by_key(|(_, n)| **n).map(|(c, n)| (*c, *n));
        print!("| {w} |");
        match best {
            Some((c, _)) => print!(" {} |", crate::contender_label(c).trim_start_matches("raw: ")),
            None => print!(" n/a |"),
        }
        for c in &contenders {
            match (counts.get(c), best) {
                (Some(&n), Some((_, b))) => print!(" {:.1}M ({:.2}) |", n as f64 / 1e6, n as f64 / b as f64),
                (Some(&n), None) => print!(" {:.1}M |", n as f64 / 1e6),
                (None, _) => print!(" — |"),
            }
        }
        println!();
    }
}
