#!/bin/bash
# Sets up a Raspberry Pi (Raspberry Pi OS Bookworm) as the handheld detector:
#   - apt packages (picamera2, lgpio, udisks2, ...);
#   - the user `detector` and its groups;
#   - the project in /opt/detector with a venv made with --system-site-packages and the
#     `pi` extra;
#   - systemd units: the handheld application at boot (restarted on failure), logbook sync,
#     USB-drive export, and the USB serial gadget (dwc2 + configfs CDC-ACM);
#   - udev rules: /dev/rfscanner for the RF scanner, export when a USB drive is plugged in;
#   - the handheld's configuration (pi backends, /dev/rfscanner), unless one exists.
#
# Idempotent: a second run changes nothing. Options:
#   --dry-run     print what would be done, change nothing
#   --root DIR    write the files under DIR instead of / and only print the commands
#                 (for testing against a fake root)
#   --source DIR  the project checkout to install (default: this script's repository)
set -euo pipefail

ROOT=/
DRY_RUN=0
SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
APP_USER=detector
PREFIX=/opt/detector
APT_PACKAGES=(python3-picamera2 python3-lgpio python3-venv python3-dev python3-pip
              udisks2 rsync git iw ieee-data)

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --root) ROOT=${2:?--root needs a directory}; shift ;;
        --source) SOURCE=${2:?--source needs a directory}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ ! -f "$SOURCE/pyproject.toml" ]; then
    echo "install.sh: $SOURCE is not the project checkout (no pyproject.toml)" >&2
    exit 2
fi
ROOT=${ROOT%/}
REAL=0
if [ -z "$ROOT" ] && [ "$DRY_RUN" -eq 0 ]; then
    REAL=1
    if [ "$(id -u)" -ne 0 ]; then
        echo "install.sh: run as root (sudo), or with --dry-run" >&2
        exit 2
    fi
fi
CHANGED=0

say() { printf '%s\n' "$*"; }

# A command that changes the system: run it for real, or say what would run.
run() {
    if [ "$REAL" -eq 1 ]; then
        say "run: $*"
        "$@"
    else
        say "would run: $*"
    fi
}

# A change to a file is due: note it and make its directory, or in a dry run only say
# what would be done (and return 1, so the caller stops there).
change() {
    CHANGED=1
    if [ "$DRY_RUN" -eq 1 ]; then
        say "would $1"
        return 1
    fi
    mkdir -p "$(dirname "$2")"
}

# Install a file with the given content and mode, unless it already has them.
put_file() {
    local target=$1 mode=$2 content=$3 path="$ROOT$1"
    if [ -f "$path" ] && [ "$(cat "$path")" = "$content" ]; then
        say "unchanged: $target"
        return 0
    fi
    change "write: $target" "$path" || return 0
    printf '%s\n' "$content" > "$path.new"
    chmod "$mode" "$path.new"
    mv "$path.new" "$path"
    say "wrote: $target"
}

copy_file() {
    put_file "$1" "$2" "$(cat "$SOURCE/$3")"
}

# Append a line to a file unless a line equal to it is already there.
ensure_line() {
    local target=$1 line=$2 path="$ROOT$1"
    if [ -f "$path" ] && grep -qxF -- "$line" "$path"; then
        say "unchanged: $target ($line)"
        return 0
    fi
    change "add to $target: $line" "$path" || return 0
    printf '%s\n' "$line" >> "$path"
    say "added to $target: $line"
}

say "== apt packages"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    run apt-get install -y "${missing[@]}"
else
    say "unchanged: apt packages"
fi

say "== user $APP_USER"
if id "$APP_USER" >/dev/null 2>&1 && [ "$REAL" -eq 1 ]; then
    say "unchanged: user $APP_USER"
else
    run useradd --create-home --groups video,gpio,spi,i2c,dialout,plugdev "$APP_USER"
fi

say "== project in $PREFIX"
if [ "$SOURCE" != "$PREFIX" ]; then
    run rsync -a --delete --exclude .venv --exclude .git "$SOURCE/" "$PREFIX/"
fi
if [ -x "$ROOT$PREFIX/.venv/bin/python" ]; then
    say "unchanged: venv $PREFIX/.venv"
else
    run python3 -m venv --system-site-packages "$PREFIX/.venv"
fi
run "$PREFIX/.venv/bin/pip" install --quiet -e "${PREFIX}[pi]"

say "== USB serial gadget (sync with the office)"
ensure_line /boot/firmware/config.txt "dtoverlay=dwc2,dr_mode=peripheral"
put_file /etc/modules-load.d/detector-gadget.conf 0644 "$(printf 'dwc2\nlibcomposite')"
copy_file /usr/local/sbin/detector-usb-gadget 0755 hardware/pi/gadget/detector-usb-gadget

say "== udev rules"
copy_file /etc/udev/rules.d/90-detector-export.rules 0644 \
    hardware/pi/udev/90-detector-export.rules
copy_file /etc/udev/rules.d/91-detector-rfscanner.rules 0644 \
    hardware/pi/udev/91-detector-rfscanner.rules
copy_file /etc/udev/rules.d/92-detector-wifimon.rules 0644 \
    hardware/pi/udev/92-detector-wifimon.rules

say "== systemd units"
for unit in detector.service detector-sync.service detector-export@.service \
            detector-usb-gadget.service detector-wifimon.service; do
    copy_file "/etc/systemd/system/$unit" 0644 "hardware/pi/systemd/$unit"
done

say "== configuration"
CONFIG=/home/$APP_USER/.config/detector/config.toml
if [ -f "$ROOT$CONFIG" ]; then
    say "unchanged: $CONFIG (kept as it is)"
else
    put_file "$CONFIG" 0644 "$(cat <<'TOML'
# The handheld's configuration (detector config show lists every key and its source).
[backend]
camera = "pi"
lights = "pi"
buzzer = "pi"
display = "pi"
buttons = "pi"

[rf]
port = "/dev/rfscanner"

[wifi]
interface = "wlanmon"
TOML
)"
    if [ "$REAL" -eq 1 ]; then
        run chown -R "$APP_USER:" "/home/$APP_USER/.config"
    fi
fi

say "== services"
if [ "$CHANGED" -eq 1 ] || [ "$REAL" -eq 0 ]; then
    run udevadm control --reload
    run systemctl daemon-reload
fi
run systemctl enable detector-usb-gadget.service detector.service

if [ "$DRY_RUN" -eq 1 ]; then
    say "dry run: nothing was changed"
elif [ "$CHANGED" -eq 0 ]; then
    say "already installed: nothing changed"
else
    say "installed; reboot once to enable the USB gadget, then run: detector doctor"
fi
