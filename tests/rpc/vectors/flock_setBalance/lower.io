// lowering a dev account's balance (to zero, then to 1 wei)
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
>> {"jsonrpc":"2.0","id":1,"method":"evm_setNextBlockTimestamp","params":[1700000000]}
<< {"jsonrpc":"2.0","id":1,"result":null}
>> {"jsonrpc":"2.0","id":2,"method":"flock_setBalance","params":["0x90F79bf6EB2c4f870365E785982E1f101E93b906","0x0"]}
<< {"jsonrpc":"2.0","id":2,"result":null}
>> {"jsonrpc":"2.0","id":3,"method":"eth_getBalance","params":["0x90F79bf6EB2c4f870365E785982E1f101E93b906","latest"]}
<< {"jsonrpc":"2.0","id":3,"result":"0x0"}
>> {"jsonrpc":"2.0","id":4,"method":"evm_setNextBlockTimestamp","params":[1700000012]}
<< {"jsonrpc":"2.0","id":4,"result":null}
>> {"jsonrpc":"2.0","id":5,"method":"flock_setBalance","params":["0x90F79bf6EB2c4f870365E785982E1f101E93b906","0x1"]}
<< {"jsonrpc":"2.0","id":5,"result":null}
>> {"jsonrpc":"2.0","id":6,"method":"eth_getBalance","params":["0x90F79bf6EB2c4f870365E785982E1f101E93b906","latest"]}
<< {"jsonrpc":"2.0","id":6,"result":"0x1"}
>> {"jsonrpc":"2.0","id":7,"method":"eth_getLogs","params":[{"fromBlock":"0x0","address":"0x0000000000000000000000000000000000000801"}]}
<< {"jsonrpc":"2.0","id":7,"result":[{"address":"0x0000000000000000000000000000000000000801","topics":["0xaca675004c66aff66f6e84aac634806e6c3550b1a6ba29fc8e1c1471ad1babf1","0x00000000000000000000000090f79bf6eb2c4f870365e785982e1f101e93b906"],"data":"0x0000000000000000000000000000000000000000000000000000000000000000","blockHash":"0xbb0e7d0f981e22fd91565b1e4cc0aa4149a430b9f4424cf9ee19096e8962cafe","blockNumber":"0x1","transactionHash":"0x2aa9843490e12da49e3da008301c15c8222e5f386cfc2a20116e25b58d82c9c0","transactionIndex":"0x0","logIndex":"0x0","removed":false},{"address":"0x0000000000000000000000000000000000000801","topics":["0xaca675004c66aff66f6e84aac634806e6c3550b1a6ba29fc8e1c1471ad1babf1","0x00000000000000000000000090f79bf6eb2c4f870365e785982e1f101e93b906"],"data":"0x0000000000000000000000000000000000000000000000000000000000000001","blockHash":"0x5b198bb6f6ba16a9888ed66cc3c8210c182d68f004bcd46214d3fea6f731d34c","blockNumber":"0x2","transactionHash":"0x42fe8a0210f83a609116071568d9461836c462352611c730b50d337269814926","transactionIndex":"0x0","logIndex":"0x0","removed":false}]}
