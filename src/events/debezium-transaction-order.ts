/** Debezium's `transaction` block of one change event. */
export interface TransactionBlock {
  id: string;
  /** 1-based position of the event among all events of its transaction. */
  total_order: bigint;
  /** 1-based position of the event among its transaction's events of the same table. */
  data_collection_order: bigint;
}

/**
 * Counts the events of the source transaction in progress, as Debezium's TransactionMonitor does with
 * provide.transaction.metadata=true. Events reach the encoder in log order and a transaction's events are
 * contiguous, so a new transaction id starts the counts again.
 */
export class TransactionOrder {
  private id: string | undefined;
  private total = 0n;
  private readonly perTable = new Map<string, bigint>();

  /** Counts on in a source transaction a checkpoint cut (its events so far, per table). */
  resume(txId: string, counts: [string, number][]): void {
    this.id = txId;
    this.perTable.clear();
    for (const [table, n] of counts) this.perTable.set(table, BigInt(n));
    this.total = counts.reduce((sum, [, n]) => sum + BigInt(n), 0n);
  }

  next(txId: string, table: string): TransactionBlock {
    if (txId !== this.id) {
      this.id = txId;
      this.total = 0n;
      this.perTable.clear();
    }
    this.total += 1n;
    const inTable = (this.perTable.get(table) ?? 0n) + 1n;
    this.perTable.set(table, inTable);
    return { id: txId, total_order: this.total, data_collection_order: inTable };
  }
}
