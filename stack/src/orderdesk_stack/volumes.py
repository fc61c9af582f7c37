"""A small tmpfs volume a server keeps its data on, so that its disk can be filled (and freed) from outside."""

import errno
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

BALLAST_NAME = "ballast"
# What a full disk still leaves: less than one Postgres page (8 KiB) or WAL segment can use.
LEFT_FREE_BYTES = 4096


@dataclass(frozen=True)
class TmpfsVolume:
    path: Path
    size_mb: int

    @property
    def ballast(self) -> Path:
        return self.path / BALLAST_NAME

    def is_mounted(self) -> bool:
        return self.path.is_mount()

    def mount(self) -> None:
        """Mount an empty tmpfs of size_mb MiB at path (none is left mounted there from before)."""
        if self.is_mounted():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m,mode=0755", "tmpfs", str(self.path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"cannot mount a {self.size_mb} MiB tmpfs at {self.path} for the Postgres data "
                f"(postgres_volume_mb needs root or CAP_SYS_ADMIN): {(result.stderr or result.stdout).strip()}"
            )

    def fill(self) -> int:
        """Write a ballast file until the volume is full but LEFT_FREE_BYTES; return the ballast's size."""
        chunk = bytes(1024 * 1024)
        # Unbuffered, so a write refused for want of space leaves nothing behind to retry.
        with self.ballast.open("ab", buffering=0) as ballast:
            for size in (len(chunk), 64 * 1024, 4096):
                try:
                    while True:
                        ballast.write(chunk[:size])
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
        written = self.ballast.stat().st_size
        os.truncate(self.ballast, max(0, written - LEFT_FREE_BYTES))
        return self.ballast.stat().st_size

    def free(self) -> None:
        self.ballast.unlink(missing_ok=True)


def unmount_if_mounted(path: Path) -> None:
    if path.is_mount():
        subprocess.run(["umount", str(path)], capture_output=True, text=True, check=True)
