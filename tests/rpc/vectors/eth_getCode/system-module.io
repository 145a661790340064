// the system module too
>> {"jsonrpc":"2.0","id":1,"method":"eth_getCode","params":["0x0000000000000000000000000000000000000800"]}
<< {"jsonrpc":"2.0","id":1,"result":"0xfe"}
