// an id never issued: false
>> {"jsonrpc":"2.0","id":1,"method":"evm_revert","params":["0x10000000000000000"]}
<< {"jsonrpc":"2.0","id":1,"result":false}
