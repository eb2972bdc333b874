//! The browser entry point (built by Trunk).

fn main() {
    quorum_app::start();
}
