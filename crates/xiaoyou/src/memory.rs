//! Peak resident memory of this process, for benchmark reports.

/// The high-water mark of resident memory in bytes (Linux `VmHWM`), if known.
pub fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

pub fn describe_peak() -> String {
    match peak_resident_bytes() {
        Some(bytes) => format!("{:.0} MiB", bytes as f64 / 1024.0 / 1024.0),
        None => "未知".to_owned(),
    }
}

/// Starts the high-water mark afresh (Linux: writing 5 to `clear_refs`), so that a benchmark
/// reports the peak of the work measured, not of its preparation. Without it the mark stands.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
