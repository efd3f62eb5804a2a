/*
 * amd64 virtual address map:
 *
 * 0x0000000000000000 - 0x00007fffffffffff   user map
 * 0xfffff8000000000 - 0xfffffbffffffffff   4TB direct map
 * 0xfffffe0000000000 - 0xffffffffffffffff   2TB kernel map
 */
