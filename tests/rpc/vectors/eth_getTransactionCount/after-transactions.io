// latest and pending nonces after two transactions
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
>> {"jsonrpc":"2.0","id":1,"method":"evm_setNextBlockTimestamp","params":[1700000000]}
<< {"jsonrpc":"2.0","id":1,"result":null}
>> {"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a0939f5ffbd4bf6d2eb1b326e3f53d798ea27986587ea84763113b3c140e2fc9d8a0528ee240327c4f315c266e23ea8eb34a8531df8379cbddcfae95bc317827f1f0"]}
<< {"jsonrpc":"2.0","id":2,"result":"0x147f4a95a7e50e370c39652be961c01f1ff4905e9d92726b1af16c2959d29962"}
>> {"jsonrpc":"2.0","id":3,"method":"evm_setNextBlockTimestamp","params":[1700000012]}
<< {"jsonrpc":"2.0","id":3,"result":null}
>> {"jsonrpc":"2.0","id":4,"method":"eth_sendRawTransaction","params":["0x02f874827a6901843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a0854a7e2fd4e5c46bdb8659cb5bb89eae9fddf5cc8c46ef594f902729a866ee90a0465d363b504a0bde20e58a155e9bde73df5e29b9b57b81958801bca58cc31f1e"]}
<< {"jsonrpc":"2.0","id":4,"result":"0xf36e0f038f031c07fcde8e71d90cc46c6a73ac6d5960cc45e40b1c6813bfae3d"}
>> {"jsonrpc":"2.0","id":5,"method":"eth_getTransactionCount","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","0x0"]}
<< {"jsonrpc":"2.0","id":5,"result":"0x0"}
>> {"jsonrpc":"2.0","id":6,"method":"eth_getTransactionCount","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","0x1"]}
<< {"jsonrpc":"2.0","id":6,"result":"0x1"}
>> {"jsonrpc":"2.0","id":7,"method":"eth_getTransactionCount","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","latest"]}
<< {"jsonrpc":"2.0","id":7,"result":"0x2"}
>> {"jsonrpc":"2.0","id":8,"method":"eth_getTransactionCount","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","pending"]}
<< {"jsonrpc":"2.0","id":8,"result":"0x2"}
