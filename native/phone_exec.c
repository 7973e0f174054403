// Runs a program inside a virtual phone as one of its users: enters the network and mount
// namespaces of the phone's namespace holder (a pid), its root and working directory, takes the
// user's uid, gid and supplementary groups, and executes the program (no fork: the caller's child
// is the program). What `nsenter -t PID -m -n -r -w` followed by `setpriv --reuid --regid --groups`
// did, in one small program instead of two: the phone daemon starts one for every shell session.
//
//   phone_exec PID UID GROUPS PROGRAM [ARG...]     GROUPS: "2000,1004,..." or "-" (leave them)
//
// UID 0 with GROUPS "-" stays root. Exit status 1 when the phone cannot be entered, 126 or 127
// (not found) when the program cannot be executed, as nsenter's.
#define _GNU_SOURCE  // setns, setresuid, setresgid
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_GROUPS 64

static void fail(const char *what, const char *arg) {
  fprintf(stderr, "phone_exec: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
  exit(1);
}

static int open_proc(const char *pid, const char *entry, int flags) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "/proc/%s/%s", pid, entry);
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) fail("cannot open", path);
  return fd;
}

static long number(const char *text, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || end == text || *end || v < 0 || v > 0x7fffffff) {
    fprintf(stderr, "phone_exec: %s: not a number: %s\n", what, text);
    exit(1);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: phone_exec PID UID GROUPS PROGRAM [ARG...]\n");
    return 1;
  }
  const char *pid = argv[1];
  number(pid, "PID");
  uid_t uid = (uid_t)number(argv[2], "UID");
  gid_t groups[MAX_GROUPS];
  int ngroups = -1;
  if (strcmp(argv[3], "-") != 0) {
    ngroups = 0;
    for (char *p = argv[3]; *p;) {
      char *comma = strchr(p, ',');
      if (comma) *comma = '\0';
      if (ngroups == MAX_GROUPS) {
        fprintf(stderr, "phone_exec: more than %d groups\n", MAX_GROUPS);
        return 1;
      }
      groups[ngroups++] = (gid_t)number(p, "GROUPS");
      if (!comma) break;
      p = comma + 1;
    }
  }

  // every file of the holder is opened before entering anything: its /proc is the host's
  int net = open_proc(pid, "ns/net", O_RDONLY);
  int mnt = open_proc(pid, "ns/mnt", O_RDONLY);
  int root = open_proc(pid, "root", O_RDONLY | O_DIRECTORY);
  int cwd = open_proc(pid, "cwd", O_RDONLY | O_DIRECTORY);
  if (setns(net, CLONE_NEWNET) < 0) fail("cannot enter the network namespace of", pid);
  if (setns(mnt, CLONE_NEWNS) < 0) fail("cannot enter the mount namespace of", pid);
  if (fchdir(root) < 0 || chroot(".") < 0) fail("cannot enter the root of", pid);
  if (fchdir(cwd) < 0) fail("cannot enter the working directory of", pid);
  close(net);
  close(mnt);
  close(root);
  close(cwd);

  if (ngroups >= 0 && setgroups((size_t)ngroups, groups) < 0) fail("setgroups", NULL);
  if (uid != 0 || ngroups >= 0) {
    if (setresgid(uid, uid, uid) < 0) fail("setresgid", argv[2]);
    if (setresuid(uid, uid, uid) < 0) fail("setresuid", argv[2]);
  }

  execvp(argv[4], argv + 4);
  int err = errno;
  fprintf(stderr, "phone_exec: failed to execute %s: %s\n", argv[4], strerror(err));
  return err == ENOENT ? 127 : 126;
}
