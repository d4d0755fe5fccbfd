fn main() -> std::process::ExitCode {
    hangar::run()
}
