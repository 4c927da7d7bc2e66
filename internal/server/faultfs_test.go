//go:build linux

package server

// File systems that really fail, for storefault_test.go: a small tmpfs to
// fill up, and an ext4 on a loop device whose writes fail (an I/O error)
// or that the kernel makes read-only (as after a file-system error). They
// need root, mount(2), and for ext4 a loop device, losetup, mkfs.ext4 and
// fstrim; a test skips, saying what is missing, where they are not there.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mountTmpfs mounts a tmpfs of size bytes for the test and returns its
// directory. It is unmounted at cleanup, after anything started later in
// the test (a server, a store) has been shut down: cleanups run last first.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a file system needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root and mount(2)): %v", err)
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

// unmount unmounts dir; it fails t if something still has a file open
// there (a store not closed), and then detaches it all the same.
func unmount(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Unmount(dir, 0); err != nil {
		t.Errorf("unmount %s: %v", dir, err)
		syscall.Unmount(dir, syscall.MNT_DETACH)
	}
}

// fillDisk writes a file in dir until the file system has no room left
// (ENOSPC), and returns a function that deletes it again.
func fillDisk(t *testing.T, dir string) (mend func()) {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for {
		_, err := f.Write(buf)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			f.Close()
			t.Fatalf("fill %s: %v", dir, err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
}

// loopExt4 is an ext4 file system on a loop device whose image is a sparse
// file on a tmpfs of its own. Once the tmpfs is full, every write to a
// block the image does not hold yet fails in the device (the kernel logs a
// "Buffer I/O error"), as a failing disk's writes do, while the file
// system's metadata, all written by mkfs, can still be written.
//
// Details that make that reliable:
//   - 4 KiB blocks, one tmpfs page each;
//   - no journal, whose writes would fail too and abort it for good;
//   - dioread_lock: ext4 allocates written extents for buffered writes, not
//     unwritten ones, which it may zero out beyond what is written, so the
//     blocks after a file's end stay holes in the image;
//   - the device takes one block per request (max_sectors_kb 4): the loop
//     driver reports a write to its image that ends short as done, so a
//     request that began on a block the image holds and ran on into a hole
//     would vanish, fsync succeeding, instead of failing.
type loopExt4 struct {
	t       *testing.T
	dir     string // where the file system is mounted
	backing string // the tmpfs holding the image
	dev     string // the loop device
}

// ext4Opts are loopExt4's mount options: dioread_lock (see loopExt4), and
// an ext4 that finds an error of its own (not a failed data write) goes
// read-only rather than on with a damaged file system.
const ext4Opts = "errors=remount-ro,dioread_lock"

// mountLoopExt4 makes and mounts a 16 MiB loopExt4 for the test; cleanup
// unmounts it and frees the loop device.
func mountLoopExt4(t *testing.T) *loopExt4 {
	t.Helper()
	for _, tool := range []string{"losetup", "mkfs.ext4", "fstrim"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("an ext4 on a loop device needs %s: %v", tool, err)
		}
	}
	backing := mountTmpfs(t, 24<<20)
	img := filepath.Join(backing, "disk.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 16<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "^has_journal",
		"-E", "lazy_itable_init=0", img).CombinedOutput(); err != nil {
		t.Skipf("mkfs.ext4: %v: %s", err, out)
	}
	out, err := exec.Command("losetup", "--find", "--show", img).CombinedOutput()
	if err != nil {
		t.Skipf("no loop device (losetup: %v: %s)", err, out)
	}
	fs := &loopExt4{t: t, dir: t.TempDir(), backing: backing, dev: strings.TrimSpace(string(out))}
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "--detach", fs.dev).CombinedOutput(); err != nil {
			t.Errorf("losetup --detach %s: %v: %s", fs.dev, err, out)
		}
	})
	limit := "/sys/block/" + filepath.Base(fs.dev) + "/queue/max_sectors_kb"
	if err := os.WriteFile(limit, []byte("4"), 0); err != nil {
		t.Skipf("cannot limit %s's requests to one block: %v", fs.dev, err)
	}
	if err := syscall.Mount(fs.dev, fs.dir, "ext4", 0, ext4Opts); err != nil {
		t.Skipf("cannot mount an ext4 on %s: %v", fs.dev, err)
	}
	t.Cleanup(func() { unmount(t, fs.dir) })
	return fs
}

// failWrites makes every write to a block not yet in the image fail: it
// discards the file system's free blocks (fstrim punches them out of the
// image) and fills the tmpfs under the image. It returns a function that
// makes room again.
func (fs *loopExt4) failWrites() (mend func()) {
	fs.t.Helper()
	if out, err := exec.Command("fstrim", fs.dir).CombinedOutput(); err != nil {
		fs.t.Fatalf("fstrim %s: %v: %s", fs.dir, err, out)
	}
	return fillDisk(fs.t, fs.backing)
}

// goReadOnly makes the kernel take the file system read-only, as it does
// when ext4 finds an error (errors=remount-ro): writes fail with EROFS,
// even to files open already, until it is unmounted.
func (fs *loopExt4) goReadOnly() {
	fs.t.Helper()
	p := "/sys/fs/ext4/" + filepath.Base(fs.dev) + "/trigger_fs_error"
	if err := os.WriteFile(p, []byte("parley test: go read-only"), 0); err != nil {
		fs.t.Skipf("cannot trigger an ext4 error: %v", err)
	}
	if err := os.WriteFile(filepath.Join(fs.dir, "probe"), nil, 0o600); !errors.Is(err, syscall.EROFS) {
		fs.t.Fatalf("a write after the ext4 error: %v, want EROFS", err)
	}
}

// remount unmounts the file system and mounts it again, which is what it
// takes to write to it again after goReadOnly.
func (fs *loopExt4) remount() {
	fs.t.Helper()
	if err := syscall.Unmount(fs.dir, 0); err != nil {
		fs.t.Fatalf("unmount %s: %v", fs.dir, err)
	}
	if err := syscall.Mount(fs.dev, fs.dir, "ext4", 0, ext4Opts); err != nil {
		fs.t.Fatalf("mount %s again: %v", fs.dev, err)
	}
}
