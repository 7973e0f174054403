{
  "targets": [
    {
      "target_name": "mptcp_socket",
      "sources": ["native/mptcp_socket.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    },
    {
      "target_name": "netns_socket",
      "sources": ["native/netns_socket.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    },
    {
      "target_name": "phone_command",
      "type": "executable",
      "sources": ["native/phone_command.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    },
    {
      "target_name": "phone_exec",
      "type": "executable",
      "sources": ["native/phone_exec.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    },
    {
      "target_name": "mptcp_analyzer",
      "sources": [
        "native/analyzer/addon.c",
        "native/analyzer/alloc.c",
        "native/analyzer/format.c",
        "native/analyzer/decode.c",
        "native/analyzer/keyhash.c",
        "native/analyzer/socks.c",
        "native/analyzer/model.c",
        "native/analyzer/ranges.c",
        "native/analyzer/records.c",
        "native/analyzer/tracker.c"
      ],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11", "-ffp-contract=off"]
    },
    {
      "target_name": "tun_link",
      "sources": ["native/tun_link.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
