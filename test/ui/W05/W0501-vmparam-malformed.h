/*
 * amd64 virtual address map:
 *
 * 0x0000000000000000 - 0x00007fffffffffff   user map
 * 0xfffff80000000000 - 4TB direct map
 * 0xfffffe0000000000 - 0xffffffffffffffff   2TB kernel map
 */
