// balances of sender and recipient before and after a transfer
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
>> {"jsonrpc":"2.0","id":1,"method":"evm_setNextBlockTimestamp","params":[1700000000]}
<< {"jsonrpc":"2.0","id":1,"result":null}
>> {"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a797208829a2241af62c000080c001a0892792b4925d6d8e6f00dee74dcb698f3f98f85989fd5f87b580cc3a96b19940a01d1526042bf50d53c1a12532f865f08af2a11ea92374b0de0f99aecd24c99eda"]}
<< {"jsonrpc":"2.0","id":2,"result":"0xf19f87565230e8d7a7abd5ee93c429a9268b126d89ebeabc75cdc7243a6a366d"}
>> {"jsonrpc":"2.0","id":3,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","0x0"]}
<< {"jsonrpc":"2.0","id":3,"result":"0x21e19e0c9bab2400000"}
>> {"jsonrpc":"2.0","id":4,"method":"eth_getBalance","params":["0xa0Ee7A142d267C1f36714E4a8F75612F20a79720","0x0"]}
<< {"jsonrpc":"2.0","id":4,"result":"0x21e19e0c9bab2400000"}
>> {"jsonrpc":"2.0","id":5,"method":"eth_getBalance","params":["0xBcd4042DE499D14e55001CcbB24a551F3b954096","0x0"]}
<< {"jsonrpc":"2.0","id":5,"result":"0x21e19e0c9bab2400000"}
>> {"jsonrpc":"2.0","id":6,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","0x1"]}
<< {"jsonrpc":"2.0","id":6,"result":"0x21df03e81d00730aa00"}
>> {"jsonrpc":"2.0","id":7,"method":"eth_getBalance","params":["0xa0Ee7A142d267C1f36714E4a8F75612F20a79720","0x1"]}
<< {"jsonrpc":"2.0","id":7,"result":"0x21e4382edd5a86c0000"}
>> {"jsonrpc":"2.0","id":8,"method":"eth_getBalance","params":["0xBcd4042DE499D14e55001CcbB24a551F3b954096","0x1"]}
<< {"jsonrpc":"2.0","id":8,"result":"0x21e19e0dcd423ca5000"}
