{
  "targets": [
    {
      "target_name": "calls_rtc_native",
      "sources": ["rtc_native.c", "routes.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
