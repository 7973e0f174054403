// The body of every Android command a virtual phone's daemon implements (getprop, settings, cmd,
// dumpsys, am, pm, input, logcat, su, ...), installed in the phone as /system/lib/mplab/phone-command
// with /system/bin/NAME symlinks to it: the command is the name it was run as. It hands argv and
// its working directory to the daemon over a unix socket (root's socket only root can open, so the
// daemon knows the caller's privilege from the socket), relays stdout, stderr and the exit status,
// forwards stdin only when the daemon asks for it, and writes files the daemon asks it to write
// with the caller's own permissions. The framing is testbed/phone/packets.ts's: [id u8][length u32
// little-endian][data]. A C program because a command starts in about a millisecond, where Node
// took 40-400 ms: the Appium driver and the device controller run dozens of commands per test.
#define _GNU_SOURCE  // strerrorname_np, stpcpy
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { P_STDIN = 0, P_STDOUT = 1, P_STDERR = 2, P_EXIT = 3, P_CLOSE_STDIN = 4, P_REQUEST = 16, P_WANT_STDIN = 17, P_WRITE_FILE = 18, P_WRITE_FILE_RESULT = 19 };

#define SHELL_SOCKET "/dev/socket/mplab-system"
#define ROOT_SOCKET "/dev/socket/mplab-system-root"
#define MAX_PACKET (64u * 1024 * 1024)

static const char *name = "command";
static int sock = -1;

static void die(const char *what) {
  fprintf(stderr, "%s: %s\n", name, what);
  exit(1);
}

static const char *errname(int err) {
  const char *n = strerrorname_np(err);
  return n ? n : "EIO";
}

static void write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (fd == sock) die("the system server closed the connection");
      return;  // our own stdout or stderr is gone: drop, as a program killed by SIGPIPE would stop writing
    }
    p += n;
    len -= (size_t)n;
  }
}

static void send_packet(uint8_t id, const void *data, uint32_t len) {
  uint8_t header[5] = {id, (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
  write_all(sock, header, sizeof header);
  if (len) write_all(sock, data, len);
}

// Writes a file as ourselves: [path length u32][path][data]; answers with the errno's name, or nothing.
static void write_file(const uint8_t *data, uint32_t len) {
  const char *error = "EINVAL";
  if (len >= 4) {
    uint32_t pathLen = data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24;
    if (pathLen > 0 && pathLen < PATH_MAX && 4 + pathLen <= len) {
      char path[PATH_MAX];
      memcpy(path, data + 4, pathLen);
      path[pathLen] = 0;
      error = NULL;
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      if (fd < 0) {
        error = errname(errno);
      } else {
        const uint8_t *body = data + 4 + pathLen;
        size_t left = len - 4 - pathLen;
        while (left > 0) {
          ssize_t n = write(fd, body, left);
          if (n < 0) {
            if (errno == EINTR) continue;
            error = errname(errno);
            break;
          }
          body += n;
          left -= (size_t)n;
        }
        if (close(fd) < 0 && !error) error = errname(errno);
      }
    }
  }
  send_packet(P_WRITE_FILE_RESULT, error ? error : "", error ? (uint32_t)strlen(error) : 0);
}

int main(int argc, char **argv) {
  const char *slash = strrchr(argv[0], '/');
  name = slash ? slash + 1 : argv[0];
  signal(SIGPIPE, SIG_IGN);

  sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die("cannot make a socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", geteuid() == 0 ? ROOT_SOCKET : SHELL_SOCKET);
  if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) {
    fprintf(stderr, "%s: cannot reach the system server: %s\n", name, errname(errno));
    return 1;
  }

  // request: cwd NUL name NUL arg1 NUL ...
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) strcpy(cwd, "/");
  size_t size = strlen(cwd) + 1 + strlen(name) + 1;
  for (int i = 1; i < argc; i++) size += strlen(argv[i]) + 1;
  if (size > MAX_PACKET) die("argument list too long");
  char *request = malloc(size), *p = request;
  if (!request) die("out of memory");
  p = stpcpy(p, cwd) + 1;
  p = stpcpy(p, name) + 1;
  for (int i = 1; i < argc; i++) p = stpcpy(p, argv[i]) + 1;
  send_packet(P_REQUEST, request, (uint32_t)size);
  free(request);

  uint8_t *buf = malloc(65536);
  size_t have = 0, cap = 65536;
  int forwardStdin = 0;
  if (!buf) die("out of memory");
  for (;;) {
    struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = forwardStdin ? 0 : -1, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll failed");
    }
    if (fds[1].revents) {
      uint8_t in[65536];
      ssize_t n = read(0, in, sizeof in);
      if (n > 0) send_packet(P_STDIN, in, (uint32_t)n);
      else if (n == 0 || errno != EINTR) {
        send_packet(P_CLOSE_STDIN, NULL, 0);
        forwardStdin = 0;
      }
    }
    if (!fds[0].revents) continue;
    if (have == cap) {
      cap *= 2;
      if (cap > MAX_PACKET + 5) die("packet too large");
      buf = realloc(buf, cap);
      if (!buf) die("out of memory");
    }
    ssize_t n = read(sock, buf + have, cap - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("the system server closed the connection");
    have += (size_t)n;
    size_t at = 0;
    while (have - at >= 5) {
      uint32_t len = buf[at + 1] | buf[at + 2] << 8 | buf[at + 3] << 16 | (uint32_t)buf[at + 4] << 24;
      if (len > MAX_PACKET) die("packet too large");
      if (have - at < 5 + (size_t)len) {
        if (5 + (size_t)len > cap) {
          cap = 5 + (size_t)len;
          buf = realloc(buf, cap);
          if (!buf) die("out of memory");
        }
        break;
      }
      uint8_t id = buf[at];
      uint8_t *data = buf + at + 5;
      switch (id) {
        case P_STDOUT:
          write_all(1, data, len);
          break;
        case P_STDERR:
          write_all(2, data, len);
          break;
        case P_EXIT:
          return len ? data[0] : 1;
        case P_WANT_STDIN:
          forwardStdin = 1;
          break;
        case P_WRITE_FILE:
          write_file(data, len);
          break;
        default:
          break;
      }
      at += 5 + len;
    }
    memmove(buf, buf + at, have - at);
    have -= at;
  }
}
