// a module's own address holds nothing
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x0000000000000000000000000000000000000801","latest"]}
<< {"jsonrpc":"2.0","id":1,"result":"0x0"}
