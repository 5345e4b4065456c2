//! placeholder; the emulator helper replaces this file.
