/**
 * What an importer reads out of a document: tables of rows, as the document writes them.
 * Nothing here is evaluated against the language; the numbers keep the document's spelling so
 * that `vmlayout check` judges the document's own figures at the imported lines.
 */
import type { Result, Span } from "../diagnostics/diagnostic.js";
import type { Paging } from "../model/layout.js";

/** A quantity cell (`-119.5  TB`, `~ 0.25 TB`, `+0`), normalised to the language's spelling. */
export interface Quantity {
  /** Spec spelling without the `~`: `-119.5TB`, `16M TB`, `4kB`, `+128TB`, `0`. */
  readonly text: string;
  /** The document marks it approximate (`~`). */
  readonly approx: boolean;
  /** Exact value in bytes when it is a whole number of bytes (signed for offsets). */
  readonly value: bigint | undefined;
}

/** An address cell: a literal (spelled as the document spells it) or a symbol / placeholder. */
export type Address =
  | { readonly type: "literal"; readonly text: string; readonly value: bigint }
  /** `FIXADDR_START`: becomes a `param`. */
  | { readonly type: "symbol"; readonly text: string }
  /** `FFFF_FFFF_8XXX_XXXX`: hex digits with placeholder letters; min/max fill them with 0/F. */
  | {
      readonly type: "placeholder";
      readonly text: string;
      readonly min: bigint;
      readonly max: bigint;
    };

export interface Row {
  readonly type: "row";
  /** 1-based line of the document. */
  readonly line: number;
  /** Further lines the row came from (the same row in another table, shared rows). */
  readonly alsoLines?: readonly number[];
  readonly start: Address | undefined;
  readonly end: Address | undefined;
  /** The end is exclusive (`..<`); otherwise inclusive. */
  readonly endExclusive: boolean;
  /**
   * The document marks this end's kind itself (`..<`, a placeholder end): its table's end
   * convention (convention.ts) does not override it.
   */
  readonly endMarked?: true;
  readonly offset: Quantity | undefined;
  readonly size: Quantity | undefined;
  readonly description: string;
  /** An explicit name (a Name column, or code in `--emit md`'s description). */
  readonly name?: string;
  /** The kind the document tags the row with (`--emit md`'s `*guard*`), else from its words. */
  readonly kind?: "hole" | "guard" | "noncanonical";
  readonly children: Item[];
  /**
   * The document brackets the row's addresses (arm64 memory.rst's `[START END]`): a part of its
   * parent row that only some configurations have (the KASAN shadow).
   */
  readonly bracketed?: true;
  /** The row's indentation (Emerald), for nesting. */
  readonly indent?: number;
}

/** A line kept as a comment: a banner, a marker row, a placeholder row, a note. */
export interface Note {
  readonly type: "note";
  readonly line: number;
  readonly text: string;
  /** A row of the table that could not be read (not a banner or a heading): why not. */
  readonly unread?: string;
  /** A section heading: the rows after it settle their end convention apart (convention.ts). */
  readonly section?: true;
}

export type Item = Row | Note;

/** The rows of `items`, each followed by its children's. */
export function rowsOf(items: readonly Item[]): Row[] {
  return items.flatMap((it) => (it.type === "row" ? [it, ...rowsOf(it.children)] : []));
}

export interface Table {
  /** The heading above the table, if any. */
  readonly heading: string | undefined;
  /** `paging` from the heading ("4-level") when it says so. */
  readonly pagingHint: Paging | undefined;
  readonly items: Item[];
  /**
   * Index in `items` where the document says the rest is identical to the other tables
   * ("Identical layout to the 56-bit one from here on"), if it does.
   */
  readonly sharedFrom: number | undefined;
}

export type FormatName =
  | "mm-rst"
  | "markdown"
  | "gaybsd"
  | "emerald"
  | "vmparam"
  | "mm-txt"
  | "illumos-box"
  | "memory-rst";

/**
 * A name a diagram gives an address (illumos' `KERNELBASE`, `segkp_base`), which rows use as a
 * `symbol` address of that name: a `const` where the diagram fixes it, an address `param`
 * where it floats.
 */
export type Binding =
  | {
      readonly type: "const";
      readonly name: string;
      /** Spec text of its value: the diagram's address, or another binding's name. */
      readonly text: string;
      readonly description: string;
    }
  | {
      readonly type: "param";
      readonly name: string;
      readonly lo: bigint;
      readonly hi: bigint;
      readonly default: bigint;
      readonly description: string;
    };

export interface Document {
  readonly format: FormatName;
  /** The document's title (its first heading), if any. */
  readonly title: string | undefined;
  readonly tables: Table[];
  /** Names the document gives addresses, in the order they are written. */
  readonly bindings?: readonly Binding[];
}

/** What a reader is given besides the text: where its diagnostics point. */
export interface ReadContext {
  /** The document's file name. */
  readonly file: string;
  /** The span of the document's 1-based line `line`, as the document is (not normalised). */
  lineSpan(line: number): Span;
}

/** A reader of one kind of layout table, registered in readers.ts. */
export interface Reader {
  /** The tables it reads, as the E0501 help lists them (`GayBSD column tables`). */
  readonly reads: string;
  /**
   * A table this reader finds is surely in its format (its header names it): its refusal
   * (an error) ends the search instead of letting a later reader take part of the table.
   */
  readonly conclusive?: true;
  /**
   * The document's tables in `text` (lines end in `\n`, tabs expanded to 4 spaces): undefined
   * when it holds none in this reader's format. Diagnostics say why tables it found cannot
   * be imported.
   */
  readonly read: (text: string, context: ReadContext) => Result<Document | undefined>;
}
