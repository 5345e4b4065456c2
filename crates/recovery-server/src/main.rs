fn main() -> std::process::ExitCode {
    recovery_server::cli::main()
}
