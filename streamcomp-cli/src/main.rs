//! `streamcomp`: render frames and check scenes from the command line.
//!
//! Every command is a thin translation to `streamcomp-core`; errors become one line on stderr
//! each and a non-zero exit code.

mod cmd;
mod panic;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Compose layers (images, text, shapes) into video frames.
#[derive(Parser, Debug)]
#[command(name = "streamcomp", version, about, long_about = None, after_help = "\
Examples:
  streamcomp frame examples/scenes/lower-third.json --at 1.5 -o frame.png
  streamcomp render examples/scenes/lower-third.json -o out.mp4 --duration 10
  streamcomp stream examples/scenes/scoreboard.json --url rtmp://localhost/live/KEY --url rec.mp4
  streamcomp stream examples/scenes/scoreboard.json --url www/live/index.m3u8 --url 'srt://peer:9000' --url 'rec/%Y%m%d-%H%M%S.mp4?segment=600'
  streamcomp validate examples/scenes/scoreboard.json
  streamcomp schema > scene.schema.json
  streamcomp bench --frames 300 --json
  streamcomp probe clips/intro.mp4")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Render one frame of a scene to a PNG file.
    Frame(cmd::frame::Args),
    /// Render a scene to a video file, as fast as possible.
    Render(cmd::render::Args),
    /// Stream a scene live, in real time, to RTMP URLs and files.
    Stream(cmd::stream::Args),
    /// Check a scene: every error with its JSON path; exit 1 if any.
    Validate(cmd::validate::Args),
    /// Print the scene format's JSON Schema.
    Schema,
    /// Measure rendering throughput (and colour conversion).
    Bench(cmd::bench::Args),
    /// Show what streamcomp would decode in a video file, or why it would not play.
    Probe(cmd::probe::Args),
}

fn main() -> ExitCode {
    panic::install();
    let cli = Cli::parse();
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || match cli.command {
            Command::Frame(a) => cmd::frame::run(a),
            Command::Render(a) => cmd::render::run(a),
            Command::Stream(a) => cmd::stream::run(a),
            Command::Validate(a) => cmd::validate::run(a),
            Command::Schema => cmd::schema::run(),
            Command::Bench(a) => cmd::bench::run(a),
            Command::Probe(a) => cmd::probe::run(a),
        }));
    match result {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            cmd::print_error(&e);
            cmd::exit_code(&e)
        }
        Err(_) => {
            eprintln!("error: internal error: {}", panic::last());
            // EX_SOFTWARE: a bug, not a mistake in the input.
            ExitCode::from(70)
        }
    }
}
