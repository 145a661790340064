// reverting restores balances, nonces, transactions and the clock
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
// speconly-next: snapshot ids count every snapshot the node has taken
>> {"jsonrpc":"2.0","id":1,"method":"evm_snapshot"}
<< {"jsonrpc":"2.0","id":1,"result":"0x0"}
>> {"jsonrpc":"2.0","id":2,"method":"evm_setNextBlockTimestamp","params":[1700000000]}
<< {"jsonrpc":"2.0","id":2,"result":null}
>> {"jsonrpc":"2.0","id":3,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720884563918244f4000080c080a00750be82bb823f6359f99f28ec087d98272ccbfcca39a1e5b91bfd2b2418f829a07f882b7d6f1bf0b003b66fac854902f920aa5c7c932ff0bebe365e8819290605"]}
<< {"jsonrpc":"2.0","id":3,"result":"0x207d4d43918087b7cf01fda27d484af9f409db320a2f8cd1837aa80c9adea84f"}
// speconly-next: after a pinned block the clock's offset follows the wall clock
>> {"jsonrpc":"2.0","id":4,"method":"evm_increaseTime","params":[100]}
<< {"jsonrpc":"2.0","id":4,"result":-95502194}
>> {"jsonrpc":"2.0","id":5,"method":"evm_revert","params":["0x0"]}
<< {"jsonrpc":"2.0","id":5,"result":true}
>> {"jsonrpc":"2.0","id":6,"method":"eth_getTransactionByHash","params":["0x207d4d43918087b7cf01fda27d484af9f409db320a2f8cd1837aa80c9adea84f"]}
<< {"jsonrpc":"2.0","id":6,"result":null}
>> {"jsonrpc":"2.0","id":7,"method":"eth_getBalance","params":["0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC","latest"]}
<< {"jsonrpc":"2.0","id":7,"result":"0x21e19e0c9bab2400000"}
>> {"jsonrpc":"2.0","id":8,"method":"eth_getTransactionCount","params":["0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC","latest"]}
<< {"jsonrpc":"2.0","id":8,"result":"0x0"}
>> {"jsonrpc":"2.0","id":9,"method":"evm_increaseTime","params":[0]}
<< {"jsonrpc":"2.0","id":9,"result":0}
