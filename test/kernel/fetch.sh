#!/usr/bin/env bash
# Fetches a real, current Linux kernel (Debian's cloud kernel: KASLR built in; on amd64 5-level
# paging too) and a static busybox for the kernel's architecture, and builds a tiny initramfs whose
# /init prints the RAM the kernel found and where its image's segments are physically
# (/proc/iomem's "System RAM", "Kernel code" and "Kernel data" lines) and where its image is
# (/proc/kallsyms' _text, _stext and _end, those it lists: arm64's without KALLSYMS_ALL lists only
# _stext; the package's System.map is a stub), then a marker, and sleeps,
# for test/kernel/*.test.ts. Nothing is installed: `apt-get download` + `dpkg-deb -x` into a cache
# (arm64 adds the foreign architecture to dpkg's list once, so apt can name its packages).
# Idempotent: a complete cache is left alone.
# Usage: test/kernel/fetch.sh [amd64|arm64] [CACHE_DIR]   (default amd64, .cache/kernel-<arch>)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arch=${1:-amd64}
case "$arch" in
  amd64 | arm64) ;;
  *) echo "fetch.sh: the architecture is amd64 or arm64, not $arch" >&2; exit 2 ;;
esac
cache=${2:-$here/../../.cache/kernel-$arch}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
[ -s "$cache/vmlinuz" ] && [ -s "$cache/initrd.gz" ] && [ -s "$cache/init-v4" ] && exit 0

host=$(dpkg --print-architecture)
if [ "$arch" != "$host" ] && ! { dpkg --print-architecture; dpkg --print-foreign-architectures; } | grep -qx "$arch"; then
  dpkg --add-architecture "$arch"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# The meta package names the real image package (linux-image-<version>-cloud-<arch>).
depends() {
  apt-cache depends "linux-image-cloud-$arch:$arch" 2>/dev/null \
    | sed -n 's/^ *Depends: \(linux-image-[^ :]*\)\(:[a-z0-9]*\)\?$/\1/p' | head -n 1
}
image=$(depends)
[ -n "$image" ] || { apt-get update -qq >/dev/null 2>&1 || true; image=$(depends); }
[ -n "$image" ] || { echo "fetch.sh: apt-cache knows no linux-image-cloud-$arch (run apt-get update)" >&2; exit 1; }
# The guest's busybox is the kernel's architecture; the host's own builds the cpio archive.
mkdir guest host
(cd guest && apt-get download -q "$image:$arch" "busybox-static:$arch" 2>&1) | grep -v '^W: Download is performed unsandboxed' || true
for deb in guest/*.deb; do dpkg-deb -x "$deb" x; done
if [ "$arch" = "$host" ]; then
  cpio=x/bin/busybox
else
  (cd host && apt-get download -q "busybox-static:$host" 2>&1) | grep -v '^W: Download is performed unsandboxed' || true
  dpkg-deb -x host/*.deb h
  cpio=h/bin/busybox
fi

mkdir -p root/bin root/proc root/sys root/dev
cp x/bin/busybox root/bin/busybox
cat > root/init <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox grep -E "System RAM|Kernel (code|data)" /proc/iomem | /bin/busybox sed "s/^/VMLAYOUT-RAM /"
/bin/busybox grep -E " (_text|_stext|_end)$" /proc/kallsyms | /bin/busybox sed "s/^/VMLAYOUT-SYM /"
echo VMLAYOUT-USERSPACE-READY
while :; do /bin/busybox sleep 3600; done
INIT
chmod 755 root/init
(cd root && find . | "../$cpio" cpio -o -H newc 2>/dev/null) | gzip -1 > initrd.gz

cp x/boot/vmlinuz-* "$cache/vmlinuz.tmp" && mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
cp x/boot/config-* "$cache/config"
# The cache's format: init-v4 prints RAM, the image's segments and symbols with _stext (an
# older cache is rebuilt).
cp root/init "$cache/init-v4"
echo "$image" > "$cache/package"
mv initrd.gz "$cache/initrd.gz"
echo "fetch.sh: $image in $cache"
