// mine, revert to the snapshot: the blocks are gone and the id is used up
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
// speconly-next: snapshot ids count every snapshot the node has taken
>> {"jsonrpc":"2.0","id":1,"method":"evm_snapshot"}
<< {"jsonrpc":"2.0","id":1,"result":"0x0"}
>> {"jsonrpc":"2.0","id":2,"method":"evm_mine","params":[1700000000]}
<< {"jsonrpc":"2.0","id":2,"result":"0x0"}
>> {"jsonrpc":"2.0","id":3,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a0939f5ffbd4bf6d2eb1b326e3f53d798ea27986587ea84763113b3c140e2fc9d8a0528ee240327c4f315c266e23ea8eb34a8531df8379cbddcfae95bc317827f1f0"]}
<< {"jsonrpc":"2.0","id":3,"result":"0x147f4a95a7e50e370c39652be961c01f1ff4905e9d92726b1af16c2959d29962"}
>> {"jsonrpc":"2.0","id":4,"method":"eth_blockNumber"}
<< {"jsonrpc":"2.0","id":4,"result":"0x2"}
>> {"jsonrpc":"2.0","id":5,"method":"evm_revert","params":["0x0"]}
<< {"jsonrpc":"2.0","id":5,"result":true}
>> {"jsonrpc":"2.0","id":6,"method":"eth_blockNumber"}
<< {"jsonrpc":"2.0","id":6,"result":"0x0"}
>> {"jsonrpc":"2.0","id":7,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","latest"]}
<< {"jsonrpc":"2.0","id":7,"result":"0x21e19e0c9bab2400000"}
>> {"jsonrpc":"2.0","id":8,"method":"eth_getTransactionCount","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","pending"]}
<< {"jsonrpc":"2.0","id":8,"result":"0x0"}
>> {"jsonrpc":"2.0","id":9,"method":"evm_revert","params":["0x0"]}
<< {"jsonrpc":"2.0","id":9,"result":false}
