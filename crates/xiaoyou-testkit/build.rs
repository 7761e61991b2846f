//! Compiles the PostgreSQL variants of backend tests as ignored (with the reason shown by the
//! test runner) unless XIAOYOU_TEST_POSTGRES_URL is set when the tests are built.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(xiaoyou_postgres_tests)");
    println!("cargo::rerun-if-env-changed=XIAOYOU_TEST_POSTGRES_URL");
    let configured =
        std::env::var("XIAOYOU_TEST_POSTGRES_URL").is_ok_and(|url| !url.trim().is_empty());
    if configured {
        println!("cargo::rustc-cfg=xiaoyou_postgres_tests");
    }
}
