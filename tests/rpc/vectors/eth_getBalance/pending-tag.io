// the pending tag reads the head
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x90F79bf6EB2c4f870365E785982E1f101E93b906","pending"]}
<< {"jsonrpc":"2.0","id":1,"result":"0x21e19e0c9bab2400000"}
